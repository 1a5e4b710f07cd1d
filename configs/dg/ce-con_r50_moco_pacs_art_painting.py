# CE-Con (SCL: CE + eta * SupCon, no generated pairs) for domain generalisation
# on PACS, target art_painting: CE-tuning's settings
# (./ce_r50_moco_pacs_art_painting.py); eta as Core-tuning's.
_base_ = [
    './ce_r50_moco_pacs_art_painting.py',
    '../_base_/models/contrastive_heads.py'
]

model = dict(head={{_base_.scl_head}})
custom_hooks = [dict(type='TargetDomainTestHook', method='CE-Con')]
