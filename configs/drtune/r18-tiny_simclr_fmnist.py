# DR-Tune on the Fashion-MNIST demo (SimCLR small ResNet-18): CE-tuning's
# settings (../baselines/ce_r18-tiny_simclr_fmnist.py) with
# ../_base_/methods/drtune.py: the official code's single cross-entropy over
# batch and queue and head lr_mult 33, with a queue of 512 features, not the
# official 2,048: the benchmark's 1% labels are 600 images, fewer than 2,048
# (the warm-up refuses a queue the training set cannot fill), and 512 fits
# both fractions.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/methods/drtune.py'
]

model = dict(_base_.drtune_model, queue_size=512)
custom_hooks = [_base_.drtune_queue_hook]
optim_wrapper = dict(paramwise_cfg=_base_.drtune_paramwise_cfg)
