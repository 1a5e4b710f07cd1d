# BSS: CE + 0.001 * (smallest singular value of the batch features)^2,
# the built-in Fashion-MNIST demo (SimCLR small ResNet).
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        feature_losses=[dict(type='BSSLoss', k=1, loss_weight=0.001)]))
