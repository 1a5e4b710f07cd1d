# COIN of MoCo v2 ResNet-50 on caltech101: SupCon (tau 0.3) alone for the first
# alpha * N epochs, then CE + 0.1 * SupCon with the same projector;
# alpha = 0.7, mmctune's default (the paper gives it for CIFAR10 only).
_base_ = [
    '../baselines/scl_r50_moco_caltech101.py',
    '../_base_/schedules/coin_stages.py',
]

model = dict(
    head=dict(
        con_loss=dict(type='SupConLoss', temperature=0.3), con_weight=0.1))
