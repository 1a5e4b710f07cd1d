# Core-tuning on Fashion-MNIST from ImageNet MobileNetV2 weights (the
# benchmark setting with strong pre-training, docs/benchmarks.md): the
# CE-tuning config (../baselines/ce_mbv2_in1k_fmnist.py) with Core-tuning's
# head, eta and alpha as the paper's CIFAR10, projector 1280 -> 1280 -> 128.
_base_ = ['../baselines/ce_mbv2_in1k_fmnist.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        projector=dict(
            type='MLPProjector',
            in_channels=1280,
            hid_channels=1280,
            out_channels=128),
        con_loss=dict(type='FocalSupConLoss', temperature=0.07),
        con_weight=0.1,
        miner=dict(
            type='HardnessDirectedMixup', alpha=1.0, lambda_n=0.8,
            lambda_p=0.0),
        gather_distributed=True))
