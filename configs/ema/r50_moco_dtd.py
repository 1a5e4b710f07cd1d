# EMA of the weights of MoCo v2 ResNet-50 on DTD: CE-tuning's settings
# (../baselines/ce_r50_moco_dtd.py) with ../_base_/methods/ema.py. 3,760
# training images / batch 256 = 15 iterations an epoch, 1,500 in 100 epochs:
# momentum 0.007, a horizon of 1 / momentum = 143 iterations (about a tenth).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_dtd.py', '../_base_/methods/ema.py']

custom_hooks = [dict(_base_.ema_hook, momentum=0.007)]
