# COIN on Fashion-MNIST from ImageNet MobileNetV2 weights: CE-tuning's settings
# (../baselines/ce_mbv2_in1k_fmnist.py) with ../_base_/methods/coin.py.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_mbv2_in1k_fmnist.py', '../_base_/methods/coin.py']

model = dict(head={{_base_.coin_head}})
