# EMA of the weights of MoCo v2 ResNet-50 on iNaturalist 2018: CE-tuning's
# settings (../baselines/ce_r50_moco_inat18.py) with ../_base_/methods/ema.py.
# 437,513 training images / batch 128 = 3,419 iterations an epoch, 547,040 in
# 160 epochs: momentum 2e-5, a horizon of 1 / momentum = 50,000 iterations
# (about a tenth).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_inat18.py', '../_base_/methods/ema.py']

custom_hooks = [dict(_base_.ema_hook, momentum=2e-5)]
