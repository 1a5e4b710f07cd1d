# Core-tuning of the ResNeXt-101 (32x4d) from InfoMin on CIFAR10
# (../r50_moco_cifar10.py with this backbone and checkpoint:
# ../../_base_/pretrained/x101-32x4d_infomin.py). The paper's Table 4 reports
# this network on Caltech101, DTD and Pets:
# ./x101-32x4d_infomin_{caltech101,dtd,pets}.py; CIFAR10 is beyond it.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../r50_moco_cifar10.py',
    '../../_base_/pretrained/x101-32x4d_infomin.py',
]

model = {{_base_.pretrained_model}}
