# Noisy-Tune of MoCo v2 ResNet-50 on aircraft: CE-tuning after perturbing every
# backbone parameter matrix by U(-0.075, 0.075) * its std (lambda 0.15).
_base_ = ['../baselines/ce_r50_moco_aircraft.py']

custom_hooks = [dict(type='NoisyTuneHook', noise_lambda=0.15)]
