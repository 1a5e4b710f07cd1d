# EMA of the weights of MoCo v2 ResNet-50 on FGVC Aircraft: CE-tuning's
# settings (../baselines/ce_r50_moco_aircraft.py) with
# ../_base_/methods/ema.py. 6,667 training images / batch 64 = 105 iterations
# an epoch, 10,500 in 100 epochs: momentum 0.001, a horizon of 1 / momentum =
# 1,000 iterations (about a tenth).
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_aircraft.py', '../_base_/methods/ema.py']

custom_hooks = [dict(_base_.ema_hook, momentum=0.001)]
