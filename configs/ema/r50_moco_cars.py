# EMA of the weights of MoCo v2 ResNet-50 on Stanford Cars: CE-tuning's
# settings (../baselines/ce_r50_moco_cars.py) with ../_base_/methods/ema.py.
# 8,144 training images / batch 64 = 128 iterations an epoch, 12,800 in 100
# epochs: momentum 8e-4, a horizon of 1 / momentum = 1,250 iterations (about a
# tenth).
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cars.py', '../_base_/methods/ema.py']

custom_hooks = [dict(_base_.ema_hook, momentum=8e-4)]
