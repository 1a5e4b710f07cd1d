# RIFLE of MoCo v2 ResNet-50 on cifar100: CE-tuning with the classifier re-
# initialised every 25 epochs (not in the last 25).
_base_ = ['../baselines/ce_r50_moco_cifar100.py']

custom_hooks = [dict(type='RIFLEHook', interval=25)]
