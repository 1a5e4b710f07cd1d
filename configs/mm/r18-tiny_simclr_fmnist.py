# M&M (mix-and-match tuning): CE + the triplet loss over the batch's
# L2-normalised features (margin 0.5), the built-in Fashion-MNIST demo (SimCLR small ResNet).
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        feature_losses=[dict(type='TripletLoss', margin=0.5, loss_weight=1.0)]))
