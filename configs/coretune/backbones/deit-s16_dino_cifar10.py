# Core-tuning of the DeiT-S/16 (ViT-S/16) from DINO on CIFAR10
# (../r50_moco_cifar10.py with this backbone and checkpoint:
# ../../_base_/pretrained/deit-s16_dino.py). The paper's Table 4 reports this
# network on Caltech101, DTD and Pets:
# ./deit-s16_dino_{caltech101,dtd,pets}.py; CIFAR10 is beyond it.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py', '../../_base_/pretrained/deit-s16_dino.py']

model = {{_base_.pretrained_model}}
