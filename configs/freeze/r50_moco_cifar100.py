# MoCo v2 ResNet-50 on CIFAR-100 with the stem and stage 1 frozen: CE-tuning's
# settings (../baselines/ce_r50_moco_cifar100.py) with
# ../_base_/methods/freeze.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r50_moco_cifar100.py', '../_base_/methods/freeze.py'
]

model = dict(backbone=_base_.freeze_backbone)
