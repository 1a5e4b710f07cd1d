# COIN of MoCo v2 ResNet-50 on CIFAR-10: CE-tuning's settings
# (../baselines/ce_r50_moco_cifar10.py: the same bases, classes, learning
# rate, batch and schedule) with ../_base_/methods/coin.py (tau = 0.3,
# lambda = 0.1, alpha = 0.7, the paper's for CIFAR-10). The configs of COIN's
# Tables 3-4 (./ablations/) and of COIN with TCL inherit this one.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/sgd_cosine_100e.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/coin.py',
]

# COIN's head (coin_head of ../_base_/methods/coin.py) with CIFAR-10's classes
model = dict(head=dict(num_classes=10, **_base_.coin_head))
auto_scale_lr = dict(base_batch_size=256)
