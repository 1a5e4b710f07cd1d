# L2-SP on the Fashion-MNIST demo (SimCLR small ResNet-18): CE-tuning's
# settings
# (../baselines/ce_r18-tiny_simclr_fmnist.py) with ../_base_/methods/l2sp.py.
# Weight decay 0, tllib's setting (the paper configs keep CE-tuning's 1e-4).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/methods/l2sp.py'
]

model = {{_base_.l2sp_model}}
optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
