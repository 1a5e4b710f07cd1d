# M&M (mix-and-match tuning, Zhan et al., AAAI 2018): CE + the triplet loss
# over the batch's L2-normalised features (margin 0.5). A head fragment for a
# CE-tuning config: model = dict(head={{_base_.mm_head}})
mm_head = dict(
    feature_losses=[dict(type='TripletLoss', margin=0.5, loss_weight=1.0)])
