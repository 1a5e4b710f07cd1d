# Layer-wise lr decay for MoCo v2 ResNet-50 on ImageNet20: CE-tuning's settings
# (../baselines/ce_r50_moco_imagenet20.py) with ../_base_/methods/llrd.py:
# mmpretrain's LearningRateDecayOptimWrapperConstructor, layer_decay_rate 0.7.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r50_moco_imagenet20.py', '../_base_/methods/llrd.py'
]

optim_wrapper = _base_.llrd_optim_wrapper
