# TPGM (Trainable Projected Gradient Method) on the Fashion-MNIST demo
# (SimCLR small ResNet-18): CE-tuning's settings
# (../baselines/ce_r18-tiny_simclr_fmnist.py: the first 6,000 training
# images) with ../_base_/methods/tpgm.py. The projection data, which TPGM
# learns its radii on, is the last 1,000 training images: labelled, and not
# among the 6,000 it trains on (Fashion-MNIST has no validation split).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/methods/tpgm.py'
]

custom_hooks = [
    dict(
        _base_.tpgm_hook,
        dataloader=dict(
            batch_size=128,
            dataset=dict(
                type=_base_.dataset_type,
                data_root=_base_.data_root,
                split='train',
                download=False,
                indices=list(range(59000, 60000)),
                pipeline=_base_.test_pipeline)))
]
