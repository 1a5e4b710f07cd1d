# Core-tuning of MoCo v2 ResNet-50 on Caltech-101: CE-tuning's settings
# (../baselines/ce_r50_moco_caltech101.py: the same bases, classes, learning
# rate, batch and schedule) with the focal contrastive loss (eta = 1, as
# SCL's, ../baselines/scl_r50_moco_caltech101.py) on hard pairs from
# hardness-directed mixup (alpha = 0.1; lambda_n = 0.8, lambda_p = 0,
# HardnessDirectedMixup's defaults) and the smooth classifier. eta and alpha:
# the paper's appendix C.2 for this dataset.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/caltech101.py',
    '../_base_/schedules/sgd_cosine_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(
        num_classes=102,
        con_loss=dict(type='FocalSupConLoss', temperature=0.07, loss_weight=1),
        miner=dict(type='HardnessDirectedMixup', alpha=0.1),
        gather_distributed=True))
auto_scale_lr = dict(base_batch_size=256)
