# Noisy-Tune of MoCo v2 ResNet-50 on Oxford-IIIT Pets: CE-tuning's settings
# (../baselines/ce_r50_moco_pets.py) with ../_base_/methods/noisytune.py.
_base_ = ['../baselines/ce_r50_moco_pets.py', '../_base_/methods/noisytune.py']
