# M&M (mix-and-match tuning) of MoCo v2 ResNet-50 on pets: CE + the triplet
# loss over the batch's L2-normalised features (margin 0.5).
_base_ = ['../baselines/ce_r50_moco_pets.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        feature_losses=[
            dict(type='TripletLoss', margin=0.5, loss_weight=1.0)
        ]))
