# COIN on cifar10: SupCon (tau 0.3) on the projected features alone for the
# first alpha * N epochs (classifier untouched), then CE + 0.1 * SupCon with
# the same projector; alpha = 0.7, the paper's for CIFAR10.
_base_ = ['../baselines/scl_r50_moco_cifar10.py']

model = dict(
    head=dict(
        con_loss=dict(type='SupConLoss', temperature=0.3), con_weight=0.1))
custom_hooks = [
    dict(
        type='StageSwitchHook',
        switch_ratio=0.7,
        before=dict(train_classifier=False, con_weight=1.0),
        after=dict(train_classifier=True, con_weight=0.1))
]
# the classifier has no gradient in stage 1
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
