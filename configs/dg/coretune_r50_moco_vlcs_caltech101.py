# Core-tuning for domain generalisation on VLCS, target Caltech101: CE-tuning's
# settings (./ce_r50_moco_vlcs_caltech101.py) plus the focal contrastive loss
# on hard pairs from hardness-directed mixup and the smooth classifier. The
# paper gives no eta and alpha for this task: CIFAR10's.
_base_ = [
    './ce_r50_moco_vlcs_caltech101.py',
    '../_base_/models/contrastive_heads.py'
]

model = dict(head={{_base_.coretune_head}})
custom_hooks = [dict(type='TargetDomainTestHook', method='Core-tuning')]
