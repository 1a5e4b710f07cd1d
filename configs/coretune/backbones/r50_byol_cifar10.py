# Core-tuning of the ResNet-50 from BYOL on CIFAR10 (the paper's appendix D):
# ../r50_moco_cifar10.py with this backbone and checkpoint
# (../../_base_/pretrained/r50_byol.py: where it comes from).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py', '../../_base_/pretrained/r50_byol.py']

model = {{_base_.pretrained_model}}
