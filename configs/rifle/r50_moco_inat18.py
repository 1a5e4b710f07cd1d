# RIFLE of MoCo v2 ResNet-50 on inat18: CE-tuning with the classifier re-
# initialised every 40 epochs (not in the last 40).
_base_ = ['../baselines/ce_r50_moco_inat18.py']

custom_hooks = [dict(type='RIFLEHook', interval=40)]
