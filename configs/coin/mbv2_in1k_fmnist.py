# COIN on Fashion-MNIST from ImageNet MobileNetV2 weights: CE-tuning's settings
# (../baselines/ce_mbv2_in1k_fmnist.py) with ../_base_/methods/coin.py.
_base_ = ['../baselines/ce_mbv2_in1k_fmnist.py', '../_base_/methods/coin.py']

model = dict(head={{_base_.coin_head}})
