# BSS on Fashion-MNIST from ImageNet MobileNetV2 weights: CE + 0.001 *
# (smallest singular value of the batch features)^2.
_base_ = ['../baselines/ce_mbv2_in1k_fmnist.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        feature_losses=[dict(type='BSSLoss', k=1, loss_weight=0.001)]))
