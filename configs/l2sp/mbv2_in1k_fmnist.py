# L2-SP on Fashion-MNIST from ImageNet MobileNetV2 weights: CE + alpha/2
# ||w - w0||^2 on the backbone + beta/2 ||w||^2 on the head (alpha = beta =
# 0.01, weight decay 0), as the small-ResNet config
# (r18-tiny_simclr_fmnist.py).
_base_ = ['../baselines/ce_mbv2_in1k_fmnist.py']

model = dict(
    type='RegularizedClassifier',
    regularizers=[dict(type='L2SPRegularizer', alpha=0.01, beta=0.01)])
optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
