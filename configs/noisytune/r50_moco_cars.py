# Noisy-Tune of MoCo v2 ResNet-50 on Stanford Cars: CE-tuning's settings
# (../baselines/ce_r50_moco_cars.py) with ../_base_/methods/noisytune.py.
_base_ = ['../baselines/ce_r50_moco_cars.py', '../_base_/methods/noisytune.py']
