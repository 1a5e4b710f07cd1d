# Core-tuning of the supervised ImageNet ResNet-50 (torchvision's weights) on
# CIFAR10: ../r50_moco_cifar10.py with this checkpoint
# (../../_base_/pretrained/r50_supervised.py). The paper fine-tunes supervised
# pre-training with CE only (Table 1's SL-CE-tuning row:
# ../../baselines/ce_r50_supervised_<dataset>.py); this config is beyond it.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../r50_moco_cifar10.py',
    '../../_base_/pretrained/r50_supervised.py',
]

model = {{_base_.pretrained_model}}
