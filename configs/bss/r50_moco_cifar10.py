# BSS of MoCo v2 ResNet-50 on cifar10: CE + 0.001 * (smallest singular value of
# the batch features)^2.
_base_ = ['../baselines/ce_r50_moco_cifar10.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        feature_losses=[dict(type='BSSLoss', k=1, loss_weight=0.001)]))
