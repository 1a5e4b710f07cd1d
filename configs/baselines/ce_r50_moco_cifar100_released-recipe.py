# CE-tuning on CIFAR100 with the augmentation of the authors' released script
# (resize 272, rotate +-15, crop 256, flip; test resize 256) instead of the
# paper's appendix recipe used by ce_r50_moco_cifar100.py. Otherwise the same.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/cifar100_released_recipe.py',
    '../_base_/schedules/sgd_cosine_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=100))
auto_scale_lr = dict(base_batch_size=256)
