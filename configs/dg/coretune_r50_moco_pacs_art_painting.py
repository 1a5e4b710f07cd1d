# Core-tuning for domain generalisation on PACS, target art_painting:
# CE-tuning's settings (./ce_r50_moco_pacs_art_painting.py: the same bases,
# frozen BatchNorm, classes and batch) with the focal contrastive loss
# (CE-Con's eta, 0.1, ./ce-con_r50_moco_pacs_art_painting.py) on hard pairs
# from hardness-directed mixup and the smooth classifier. The paper gives no
# eta and alpha for this task: CIFAR10's. The configs of the other targets
# inherit this one and change the target domain only.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/pacs.py',
    '../_base_/schedules/adam_exp_20k.py',
    '../_base_/dg_runtime.py',
]

model = dict(
    # DomainBed's frozen BatchNorm (ResNet.freeze_bn), as
    # ./ce_r50_moco_pacs_art_painting.py explains
    backbone=dict(norm_eval=True),
    head=dict(
        num_classes=7,
        topk=(1, ),
        con_loss=dict(
            type='FocalSupConLoss', temperature=0.07, loss_weight=0.1),
        miner=dict(type='HardnessDirectedMixup', alpha=1.0),
        gather_distributed=True))
auto_scale_lr = dict(base_batch_size=96)
custom_hooks = [dict(type='TargetDomainTestHook', method='Core-tuning')]
