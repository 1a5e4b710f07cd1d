# RIFLE of MoCo v2 ResNet-50 on DTD: CE-tuning's settings
# (../baselines/ce_r50_moco_dtd.py) with ../_base_/methods/rifle.py.
_base_ = ['../baselines/ce_r50_moco_dtd.py', '../_base_/methods/rifle.py']
