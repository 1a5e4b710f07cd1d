# M&M (mix-and-match tuning) of the Fashion-MNIST demo (SimCLR small
# ResNet-18): CE + the triplet loss over the batch's L2-normalised features
# (margin 0.5).
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        feature_losses=[
            dict(type='TripletLoss', margin=0.5, loss_weight=1.0)
        ]))
