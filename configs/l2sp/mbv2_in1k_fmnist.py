# L2-SP on Fashion-MNIST from ImageNet MobileNetV2 weights: CE-tuning's
# settings
# (../baselines/ce_mbv2_in1k_fmnist.py) with ../_base_/methods/l2sp.py.
# Weight decay 0, tllib's setting (the paper configs keep CE-tuning's 1e-4).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_mbv2_in1k_fmnist.py', '../_base_/methods/l2sp.py']

model = {{_base_.l2sp_model}}
optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
