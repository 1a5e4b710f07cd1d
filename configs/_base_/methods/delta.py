# DELTA (Li et al., ICLR 2019): CE + attention-weighted distance of the ResNet
# stages' feature maps to the pre-trained backbone's + L2 on the head (alpha =
# beta = 0.01, tllib's), weight decay 0; the channel attention is measured on
# 10 training batches before training. For a CE-tuning config:
#   model = {{_base_.delta_model}}
#   optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
delta_model = dict(
    type='RegularizedClassifier',
    regularizers=[dict(type='DELTARegularizer', alpha=0.01, beta=0.01)])
custom_hooks = [dict(type='DELTAAttentionHook', num_batches=10)]
