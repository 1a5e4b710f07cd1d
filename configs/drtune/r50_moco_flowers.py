# DR-Tune of MoCo v2 ResNet-50 on Oxford 102 Flowers: CE-tuning's settings
# (../baselines/ce_r50_moco_flowers.py; the Core-tuning supplement's C.2: "For
# other baselines, we use the same training setting for each dataset") with
# ../_base_/methods/drtune.py (the official code's queue K = 2048, single
# cross-entropy over batch and queue, head lr 0.33 against the backbone's 0.01:
# lr_mult 33). The queue fits: 6,552 training images (the supplement's Table 1)
# fill K in the warm-up's K / 64 + 2 batches.
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_flowers.py', '../_base_/methods/drtune.py']

model = dict(_base_.drtune_model)
custom_hooks = [_base_.drtune_queue_hook]
optim_wrapper = dict(paramwise_cfg=_base_.drtune_paramwise_cfg)
