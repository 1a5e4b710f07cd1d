# BSS (Chen et al., NeurIPS 2019): CE + 0.001 * (smallest singular value of
# the batch features)^2, tllib's defaults. A head fragment for a CE-tuning
# config: model = dict(head={{_base_.bss_head}})
bss_head = dict(feature_losses=[dict(type='BSSLoss', k=1, loss_weight=0.001)])
