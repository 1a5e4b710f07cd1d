# COIN on the built-in Fashion-MNIST demo: SupCon (tau 0.3) on the projected
# features alone for the first alpha * N epochs (classifier untouched), then
# CE + 0.1 * SupCon with the same projector. alpha = 0.7 (the paper's CIFAR10).
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py',
    '../_base_/schedules/coin_stages.py',
]

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        projector=dict(
            type='MLPProjector',
            in_channels=128,
            hid_channels=128,
            out_channels=64),
        con_loss=dict(type='SupConLoss', temperature=0.3),
        con_weight=0.1,
        gather_distributed=True))
