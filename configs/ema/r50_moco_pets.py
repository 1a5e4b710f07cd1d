# EMA of the weights of MoCo v2 ResNet-50 on Oxford-IIIT Pets: CE-tuning's
# settings (../baselines/ce_r50_moco_pets.py) with ../_base_/methods/ema.py.
# 3,680 training images / batch 64 = 58 iterations an epoch, 5,800 in 100
# epochs: momentum 0.002, a horizon of 1 / momentum = 500 iterations (about a
# tenth).
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_pets.py', '../_base_/methods/ema.py']

custom_hooks = [dict(_base_.ema_hook, momentum=0.002)]
