# M&M (mix-and-match tuning) of MoCo v2 ResNet-50 on iNaturalist 2018:
# CE-tuning's settings
# (../baselines/ce_r50_moco_inat18.py) with ../_base_/methods/mm.py.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_inat18.py', '../_base_/methods/mm.py']

model = dict(head={{_base_.mm_head}})
