# DELTA of MoCo v2 ResNet-50 on FGVC Aircraft: CE-tuning's settings
# (../baselines/ce_r50_moco_aircraft.py) with ../_base_/methods/delta.py.
_base_ = ['../baselines/ce_r50_moco_aircraft.py', '../_base_/methods/delta.py']

model = {{_base_.delta_model}}
optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
