# Core-tuning in the digits domain-generalisation smoke run
# (./ce_r18-tiny_digits_opencv.py): the focal contrastive loss on hard pairs
# from hardness-directed mixup, eta and alpha as the paper's CIFAR10, the
# projector scaled to the small ResNet's 128-d features (128 -> 128 -> 64).
_base_ = ['./ce_r18-tiny_digits_opencv.py']

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
            type='HardnessDirectedMixup',
            alpha=1.0,
            lambda_n=0.8,
            lambda_p=0.0),
        gather_distributed=True))
custom_hooks = [dict(type='TargetDomainTestHook', method='Core-tuning')]
