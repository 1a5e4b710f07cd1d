# The ImageNet MobileNetV2 on Fashion-MNIST with stages 0-7 frozen (BN
# statistics too) and the last 1x1 conv (conv2, 320 -> 1280 channels, and
# its BN's affine parameters) trained with the linear classifier: not a
# linear probe. The probe row of docs/benchmarks.md section 2b (82.86) was
# measured with it, under the name of a linear probe;
# ./mbv2_in1k_fmnist.py is the linear probe (the same, with learning rate 0
# for every backbone parameter).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_mbv2_in1k_fmnist.py']

model = dict(backbone=dict(frozen_stages=7, norm_eval=True))

# the linear classifier and conv2: no weight decay, a larger learning rate,
# no per-parameter multipliers
optim_wrapper = dict(
    optimizer=dict(lr=0.1, weight_decay=0.0), paramwise_cfg=dict())
