# EMA of the weights: mmengine's EMAHook with its ExponentialMovingAverage.
# After every training iteration t (theta_t: the weights after step t),
#     ema_1 = theta_1,  ema_t = (1 - momentum) * ema_{t-1} + momentum * theta_t
# momentum is the weight of the *new* weights (mmengine's convention: timm's
# and most papers' "decay" is 1 - momentum), so 1 / momentum iterations is
# the averaging horizon. Each config sets momentum so that the horizon is
# about a tenth of its training iterations (mmctune's choice, as mmpretrain's
# ConvNeXt recipe: 1e-4 over ~94k iterations).
# update_buffers=True averages the BN running statistics with the weights
# (timm's ModelEmaV2); mmengine's default keeps the current model's
# statistics, which belong to other weights than the average.
# Validation and test run on the EMA weights (EMAHook swaps them in), the
# checkpoints' `state_dict` holds the EMA weights (what tools/test.py
# loads) and `ema_state_dict` the trained ones (what --resume restores).
# For any config:
#   _base_ = [CONFIG, '../_base_/methods/ema.py']
#   custom_hooks = [dict(_base_.ema_hook, momentum=M)]
# or, for a config that has custom_hooks of its own,
#   custom_hooks = _base_.custom_hooks + [dict(_base_.ema_hook, momentum=M)]
ema_hook = dict(
    type='EMAHook',
    momentum=1e-3,
    update_buffers=True,
    priority='ABOVE_NORMAL')
