# BSS of the Fashion-MNIST demo (SimCLR small ResNet-18): CE + 0.001 *
# (smallest singular value of the batch features)^2.
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        feature_losses=[dict(type='BSSLoss', k=1, loss_weight=0.001)]))
