# COIN's two stages on a ContrastiveClsHead with SupCon: the first
# alpha * max_epochs epochs train encoder + projector with SupCon alone (the
# classifier gets no gradient), the rest CE + 0.1 * SupCon with the same
# projector. alpha = 0.7 is the paper's for CIFAR10 and mmctune's default for
# the other datasets (docs/methods/baselines.md).
custom_hooks = [
    dict(
        type='StageSwitchHook',
        switch_ratio=0.7,
        before=dict(train_classifier=False, con_weight=1.0),
        after=dict(train_classifier=True, con_weight=0.1))
]
# the classifier is unused in stage 1
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
