# Core-tuning with DR-Tune's calibrated queue, MoCo v2 ResNet-50 on
# CIFAR-10. No paper runs this combination: Core-tuning regularises the
# features (its contrastive term on hard mixed pairs), DR-Tune the
# classifier (trained on the frozen pre-trained features, calibrated). This
# config keeps Core-tuning's every setting (../coretune/r50_moco_cifar10.py:
# the Core-tuning paper's) and adds DR-Tune's term to its losses as the mean
# cross-entropy over the queue (joint_mean=False, loss_weight 1.0), without
# DR-Tune's head lr_mult: the official single cross-entropy over batch and
# queue would scale Core-tuning's terms by B / (B + K) (docs/methods/
# drtune.md).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../coretune/r50_moco_cifar10.py', '../_base_/methods/drtune.py']

model = dict(_base_.drtune_model, joint_mean=False, loss_weight=1.0)
custom_hooks = [_base_.drtune_queue_hook]
