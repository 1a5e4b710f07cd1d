# Core-tuning of MoCo v2 ResNet-50 on CIFAR-10: SCL's settings
# (../baselines/scl_r50_moco_cifar10.py, eta = 0.1) with the focal contrastive loss
# on hard pairs from hardness-directed mixup (alpha = 1; lambda_n = 0.8,
# lambda_p = 0, HardnessDirectedMixup's defaults) and the smooth classifier.
# eta and alpha: the paper's appendix C.2 for this dataset.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/scl_r50_moco_cifar10.py']

model = dict(
    head=dict(
        con_loss=dict(type='FocalSupConLoss'),
        miner=dict(type='HardnessDirectedMixup', alpha=1)))
