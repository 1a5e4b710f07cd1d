# EMA of the weights of MoCo v2 ResNet-50 on CIFAR-100: CE-tuning's settings
# (../baselines/ce_r50_moco_cifar100.py) with ../_base_/methods/ema.py. 50,000
# training images / batch 256 = 196 iterations an epoch, 19,600 in 100 epochs:
# momentum 5e-4, a horizon of 1 / momentum = 2,000 iterations (about a tenth).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cifar100.py', '../_base_/methods/ema.py']

custom_hooks = [dict(_base_.ema_hook, momentum=5e-4)]
