# EMA of the weights of MoCo v2 ResNet-50 on Caltech-101: CE-tuning's settings
# (../baselines/ce_r50_moco_caltech101.py) with ../_base_/methods/ema.py. 3,060
# training images / batch 256 = 12 iterations an epoch, 1,200 in 100 epochs:
# momentum 0.008, a horizon of 1 / momentum = 125 iterations (about a tenth).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_caltech101.py', '../_base_/methods/ema.py']

custom_hooks = [dict(_base_.ema_hook, momentum=0.008)]
