# EMA of the weights of MoCo v2 ResNet-50 on ImageNet20: CE-tuning's settings
# (../baselines/ce_r50_moco_imagenet20.py) with ../_base_/methods/ema.py.
# 18,494 training images / batch 256 = 73 iterations an epoch, 7,300 in 100
# epochs: momentum 1.4e-3, a horizon of 1 / momentum = 714 iterations (about a
# tenth).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_imagenet20.py', '../_base_/methods/ema.py']

custom_hooks = [dict(_base_.ema_hook, momentum=1.4e-3)]
