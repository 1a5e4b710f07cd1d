# DR-Tune of MoCo v2 ResNet-50 on CIFAR-10: CE-tuning's settings
# (../baselines/ce_r50_moco_cifar10.py: SGD, lr 0.01, momentum 0.9, Nesterov,
# weight decay 1e-4, 100 epochs, batch 256, the rescaling + rotation recipe)
# with ../_base_/methods/drtune.py (the official code's queue K = 2048,
# single cross-entropy over batch and queue, head lr_mult 33). Core-tuning's
# supplement, C.2: "For other baselines, we use the same training setting
# for each dataset". DR-Tune's own CIFAR-10 recipe (batch 64, random resized
# crop): r50_moco_cifar10_rrc.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cifar10.py', '../_base_/methods/drtune.py']

model = dict(_base_.drtune_model)
custom_hooks = [_base_.drtune_queue_hook]
optim_wrapper = dict(paramwise_cfg=_base_.drtune_paramwise_cfg)
