# CE-tuning for domain generalisation on Office-Home, target art, from the
# supervised ImageNet ResNet-50 of torchvision (DomainBed's default
# network): the supervised-pre-training CE row of the Core-tuning paper's
# Table 8. The MoCo v2 config (./ce_r50_moco_officehome_art.py) with the
# other weights: the same bases, data, batch, frozen BatchNorm and schedule.
# The configs of the other targets inherit this one and change the target
# domain only.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/officehome.py',
    '../_base_/schedules/adam_exp_20k.py',
    '../_base_/dg_runtime.py',
]

model = dict(
    # DomainBed's frozen BatchNorm (ResNet.freeze_bn), as
    # ./ce_r50_moco_officehome_art.py explains
    backbone=dict(
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='torchvision://resnet50',
            prefix=None)),
    head=dict(num_classes=65, topk=(1, )))
auto_scale_lr = dict(base_batch_size=96)
custom_hooks = [dict(type='TargetDomainTestHook', method='SL-CE-tuning')]
