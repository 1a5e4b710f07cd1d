# The Fashion-MNIST demo (SimCLR small ResNet-18) with the stem and stage 1
# frozen: CE-tuning's settings (../baselines/ce_r18-tiny_simclr_fmnist.py)
# with ../_base_/methods/freeze.py.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/methods/freeze.py'
]

model = dict(backbone=_base_.freeze_backbone)
