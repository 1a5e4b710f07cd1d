# MoCo v2 ResNet-50 on FGVC Aircraft with the stem and stage 1 frozen: CE-
# tuning's settings (../baselines/ce_r50_moco_aircraft.py) with
# ../_base_/methods/freeze.py.
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r50_moco_aircraft.py', '../_base_/methods/freeze.py'
]

model = dict(backbone=_base_.freeze_backbone)
