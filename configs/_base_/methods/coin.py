# COIN (contrastive initialisation): the head is built as stage 1, SupCon
# (tau 0.3) alone on the projected features, the classifier untouched; from
# alpha * max_epochs on, StageSwitchHook trains CE + 0.1 * SupCon with the
# same projector. alpha = 0.7 is the paper's for CIFAR10 and mmctune's default
# for the other datasets (docs/methods/baselines.md). For a CE-tuning config:
#   model = dict(head={{_base_.coin_head}})
coin_head = dict(
    con_loss=dict(type='SupConLoss', temperature=0.3, loss_weight=1.0),
    train_classifier=False,
    gather_distributed=True)
custom_hooks = [
    dict(
        type='StageSwitchHook',
        stages=[(0.7, {
            'head.train_classifier': True,
            'head.con_loss.loss_weight': 0.1
        })])
]
# the classifier is unused in stage 1
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
