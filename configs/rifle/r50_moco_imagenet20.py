# RIFLE of MoCo v2 ResNet-50 on imagenet20: CE-tuning with the classifier re-
# initialised every 25 epochs (not in the last 25).
_base_ = ['../baselines/ce_r50_moco_imagenet20.py']

custom_hooks = [dict(type='RIFLEHook', interval=25)]
