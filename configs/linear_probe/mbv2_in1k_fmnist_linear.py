# Linear probe on Fashion-MNIST of the ImageNet MobileNetV2 that trains the
# linear classifier only (finetune_table.py --setting imagenet-mbv2-linear,
# docs/benchmarks.md section 2c). ./mbv2_in1k_fmnist.py freezes stages 0-7
# (frozen_stages=7, the most mmpretrain's MobileNetV2 takes), which leaves
# the last 1x1 conv (conv2: 320 -> 1280 channels and its BN, 412k
# parameters) training at the probe's learning rate. Here every backbone
# parameter gets learning rate 0 and no weight decay, and BN keeps its
# ImageNet statistics (norm_eval), so the 1280-d features are ImageNet's.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['./mbv2_in1k_fmnist.py']

optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'backbone': dict(lr_mult=0.0, decay_mult=0.0)}))
