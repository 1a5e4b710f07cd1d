# Noisy-Tune of MoCo v2 ResNet-50 on CIFAR-100: CE-tuning's settings
# (../baselines/ce_r50_moco_cifar100.py) with ../_base_/methods/noisytune.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r50_moco_cifar100.py', '../_base_/methods/noisytune.py'
]
