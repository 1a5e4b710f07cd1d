# Layer-wise lr decay on the Fashion-MNIST demo (SimCLR small ResNet-18):
# CE-tuning's settings (../baselines/ce_r18-tiny_simclr_fmnist.py) with
# ../_base_/methods/llrd.py's per-stage multipliers (mmpretrain's
# get_layer_depth has no layout for ResNet_CIFAR-18): lr x 0.7 ** (5 - l) for
# stem 0, layer1-4 1-4, head 5.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/methods/llrd.py'
]

optim_wrapper = _base_.llrd_stage_optim_wrapper
