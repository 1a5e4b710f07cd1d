# Core-tuning of the ResNet-50 from SimCLR v1 on CIFAR10
# (../r50_moco_cifar10.py with this backbone and checkpoint:
# ../../_base_/pretrained/r50_simclrv1.py). The Core-tuning supplement's Table
# 9 reports this network on Caltech101, DTD and Pets:
# ./r50_simclrv1_{caltech101,dtd,pets}.py; CIFAR10 is beyond it.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py', '../../_base_/pretrained/r50_simclrv1.py']

model = {{_base_.pretrained_model}}
