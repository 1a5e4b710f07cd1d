# CE-Con (SCL: CE + eta * SupCon, no generated pairs) for domain generalisation
# on VLCS, target Caltech101: CE-tuning's settings
# (./ce_r50_moco_vlcs_caltech101.py); eta as Core-tuning's.
_base_ = [
    './ce_r50_moco_vlcs_caltech101.py',
    '../_base_/models/contrastive_heads.py'
]

model = dict(head={{_base_.scl_head}})
custom_hooks = [dict(type='TargetDomainTestHook', method='CE-Con')]
