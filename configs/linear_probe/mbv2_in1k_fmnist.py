# Linear probe on Fashion-MNIST of the ImageNet MobileNetV2 (the benchmark
# setting with strong pre-training): the linear classifier on the 1280-d
# features is all that trains. mmpretrain's MobileNetV2 freezes at most
# stages 0-7 (frozen_stages=7), which leaves the last 1x1 conv (conv2:
# 320 -> 1280 channels and its BN, 412k parameters) trainable; here every
# backbone parameter gets learning rate 0 and no weight decay, and BN keeps
# its ImageNet statistics (norm_eval), so the features are ImageNet's.
# ./mbv2_in1k_fmnist_lastconv.py trains conv2 too (the probe row of
# docs/benchmarks.md section 2b).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_mbv2_in1k_fmnist.py']

model = dict(backbone=dict(frozen_stages=7, norm_eval=True))

# the linear classifier only: no weight decay, a larger learning rate
optim_wrapper = dict(
    optimizer=dict(lr=0.1, weight_decay=0.0),
    paramwise_cfg=dict(
        custom_keys={'backbone': dict(lr_mult=0.0, decay_mult=0.0)}))
