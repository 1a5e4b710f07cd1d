# M&M (mix-and-match tuning) of MoCo v2 ResNet-50 on Stanford Cars: CE-tuning's settings
# (../baselines/ce_r50_moco_cars.py) with ../_base_/methods/mm.py.
_base_ = ['../baselines/ce_r50_moco_cars.py', '../_base_/methods/mm.py']

model = dict(head={{_base_.mm_head}})
