# CE-tuning of MoCo v2 ResNet-50 on Oxford Flowers in the official split of
# the release (trainval 2,040 / test 6,149 images, mmpretrain's Flowers102)
# instead of the Kaggle split the paper uses (Tables 1, 2: 6,552 / 818),
# which ./ce_r50_moco_flowers.py uses. Otherwise the same.
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/flowers_official_split.py',
    '../_base_/schedules/sgd_cosine_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=102))
auto_scale_lr = dict(base_batch_size=64)
