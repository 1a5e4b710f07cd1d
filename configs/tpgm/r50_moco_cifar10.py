# TPGM of MoCo v2 ResNet-50 on CIFAR-10: CE-tuning's settings
# (../baselines/ce_r50_moco_cifar10.py: SGD, lr 0.01, momentum 0.9, Nesterov,
# weight decay 1e-4, 100 epochs) with ../_base_/methods/tpgm.py. Core-tuning's
# supplement, C.2: "For other baselines, we use the same training setting
# for each dataset". TPGM learns its radii on held-out labelled images and
# CIFAR-10 has no validation split: the last 5,000 training images are held
# out for it, so this config trains on the first 45,000, not CE-tuning's
# 50,000 (docs/methods/tpgm.md).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cifar10.py', '../_base_/methods/tpgm.py']

train_dataloader = dict(dataset=dict(indices=list(range(45000))))
custom_hooks = [
    dict(
        _base_.tpgm_hook,
        dataloader=dict(
            batch_size=256,
            dataset=dict(
                type='CIFAR10',
                data_root='data/cifar10',
                split='train',
                indices=list(range(45000, 50000)),
                pipeline=_base_.test_pipeline)))
]
