# CE-tuning for domain generalisation on PACS, target sketch, from the
# supervised ImageNet ResNet-50 of torchvision (DomainBed's default
# network): the supervised-pre-training CE row of the Core-tuning paper's
# Table 8. The MoCo v2 config (./ce_r50_moco_pacs_sketch.py) with the
# other weights: the same data, batch, frozen BatchNorm and schedule.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_moco_pacs_sketch.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint='torchvision://resnet50',
            prefix=None)))
custom_hooks = [dict(type='TargetDomainTestHook', method='SL-CE-tuning')]
