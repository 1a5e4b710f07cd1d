# CE-Con (SCL: CE + eta * SupCon, no generated pairs) for domain
# generalisation on Office-Home, target Art: CE-tuning's settings
# (./ce_r50_moco_officehome_art.py: the same bases, frozen BatchNorm, classes
# and batch); the paper gives no eta for this task: CIFAR10's, 0.1. The
# configs of the other targets inherit this one and change the target domain
# only.
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
    backbone=dict(norm_eval=True),
    head=dict(
        num_classes=65,
        topk=(1, ),
        con_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=0.1),
        gather_distributed=True))
auto_scale_lr = dict(base_batch_size=96)
custom_hooks = [dict(type='TargetDomainTestHook', method='CE-Con')]
