# Core-tuning of MoCo v2 ResNet-50 on imagenet20: CE-tuning's settings
# (../baselines/ce_r50_moco_imagenet20.py) plus the focal contrastive loss on hard
# pairs from hardness-directed mixup and the smooth classifier.
# eta and alpha: the paper's appendix C.2 for this dataset.
_base_ = ['../baselines/ce_r50_moco_imagenet20.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        # projector 2048 -> 2048 -> 256 (the head's default MLPProjector)
        con_loss=dict(type='FocalSupConLoss', temperature=0.07),
        con_weight=0.1,  # eta
        miner=dict(
            type='HardnessDirectedMixup',
            alpha=1,  # lambda ~ Beta(alpha, alpha)
            lambda_n=0.8,
            lambda_p=0.0),
        # mine and contrast over the global batch on several GPUs
        gather_distributed=True))
