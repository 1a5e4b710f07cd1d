# Linear probe on Fashion-MNIST of the ImageNet MobileNetV2 (the benchmark
# setting with strong pre-training): every stage frozen, BN statistics too;
# a linear classifier on the 1280-d features.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_mbv2_in1k_fmnist.py']

model = dict(backbone=dict(frozen_stages=7, norm_eval=True))

# the linear classifier only: no weight decay, a larger learning rate
optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=0.0))
