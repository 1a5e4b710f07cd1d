# EMA of the weights on the Fashion-MNIST demo (SimCLR small ResNet-18):
# CE-tuning's settings (../baselines/ce_r18-tiny_simclr_fmnist.py) with
# ../_base_/methods/ema.py. 6,000 training images / batch 128 = 47 iterations
# an epoch, 470 in 10 epochs: momentum 0.02, a horizon of 1 / momentum = 50
# iterations (about a tenth).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/methods/ema.py'
]

custom_hooks = [dict(_base_.ema_hook, momentum=0.02)]
