# CE-tuning of MoCo v2 ResNet-50 on CIFAR-10 with the random-resized-crop
# recipe (train random resized crop 224 + flip; test resize 256x256, centre
# crop 224) instead of the paper's rescaling + rotation, which
# ./ce_r50_moco_cifar10.py uses (supplement C.2). Otherwise the same.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/cifar10_rrc.py',
    '../_base_/schedules/sgd_cosine_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=10))
auto_scale_lr = dict(base_batch_size=256)
