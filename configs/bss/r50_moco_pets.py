# BSS of MoCo v2 ResNet-50 on Oxford-IIIT Pets: CE-tuning's settings
# (../baselines/ce_r50_moco_pets.py) with ../_base_/methods/bss.py.
_base_ = ['../baselines/ce_r50_moco_pets.py', '../_base_/methods/bss.py']

model = dict(head={{_base_.bss_head}})
