# Core-tuning on Fashion-MNIST for the built-in demo (tools/demo.py): the
# CE-tuning demo config (../baselines/ce_r18-tiny_simclr_fmnist.py) with
# Core-tuning's head, eta and alpha as the paper's CIFAR10, the projector
# scaled to the small ResNet's 128-d features (128 -> 128 -> 64).
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        projector=dict(
            type='MLPProjector',
            in_channels=128,
            hid_channels=128,
            out_channels=64),
        con_loss=dict(type='FocalSupConLoss', temperature=0.07),
        con_weight=0.1,
        miner=dict(
            type='HardnessDirectedMixup', alpha=1.0, lambda_n=0.8,
            lambda_p=0.0),
        gather_distributed=True))
