# LwF on the Fashion-MNIST demo (SimCLR small ResNet-18): CE-tuning's settings
# (../baselines/ce_r18-tiny_simclr_fmnist.py) with ../_base_/methods/lwf.py
# (T = 0.2 is also the demo SimCLR's temperature).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/methods/lwf.py'
]

model = {{_base_.lwf_model}}
