# EMA of the weights of MoCo v2 ResNet-50 on Oxford Flowers: CE-tuning's
# settings (../baselines/ce_r50_moco_flowers.py) with ../_base_/methods/ema.py.
# 6,552 training images / batch 64 = 103 iterations an epoch, 10,300 in 100
# epochs: momentum 0.001, a horizon of 1 / momentum = 1,000 iterations (about a
# tenth).
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_flowers.py', '../_base_/methods/ema.py']

custom_hooks = [dict(_base_.ema_hook, momentum=0.001)]
