# M&M (mix-and-match tuning) of MoCo v2 ResNet-50 on CIFAR-10: CE-tuning's
# settings
# (../baselines/ce_r50_moco_cifar10.py) with ../_base_/methods/mm.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cifar10.py', '../_base_/methods/mm.py']

model = dict(head={{_base_.mm_head}})
