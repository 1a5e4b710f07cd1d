# FTP of MoCo v2 ResNet-50 on CIFAR-10: CE-tuning's settings
# (../baselines/ce_r50_moco_cifar10.py: SGD, lr 0.01, momentum 0.9, Nesterov,
# weight decay 1e-4, 100 epochs) with ../_base_/methods/ftp.py. Core-tuning's
# supplement, C.2: "For other baselines, we use the same training setting
# for each dataset". FTP's own k and constraint optimiser: the official
# code's defaults (../_base_/methods/ftp.py).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cifar10.py', '../_base_/methods/ftp.py']

optim_wrapper = {{_base_.ftp_optim_wrapper}}
