# RIFLE of MoCo v2 ResNet-50 on ImageNet-20: CE-tuning's settings
# (../baselines/ce_r50_moco_imagenet20.py) with ../_base_/methods/rifle.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r50_moco_imagenet20.py', '../_base_/methods/rifle.py'
]
