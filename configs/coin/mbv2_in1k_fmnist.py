# COIN on Fashion-MNIST from ImageNet MobileNetV2 weights: SupCon (tau 0.3)
# on the projected features alone for the first alpha * N epochs (classifier
# untouched), then CE + 0.1 * SupCon with the same projector; alpha = 0.7
# (the paper's CIFAR10). Projector 1280 -> 1280 -> 128.
_base_ = [
    '../baselines/ce_mbv2_in1k_fmnist.py',
    '../_base_/schedules/coin_stages.py',
]

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        projector=dict(
            type='MLPProjector',
            in_channels=1280,
            hid_channels=1280,
            out_channels=128),
        con_loss=dict(type='SupConLoss', temperature=0.3),
        con_weight=0.1,
        gather_distributed=True))
