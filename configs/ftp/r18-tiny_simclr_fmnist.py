# FTP (Fast Trainable Projection) on the Fashion-MNIST demo (SimCLR small
# ResNet-18): CE-tuning's settings (../baselines/ce_r18-tiny_simclr_fmnist.py)
# with ../_base_/methods/ftp.py: SGD's step, then the backbone projected to
# its learned distance of the pre-trained weights; the classifier is not.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r18-tiny_simclr_fmnist.py', '../_base_/methods/ftp.py'
]

optim_wrapper = {{_base_.ftp_optim_wrapper}}
