# L2-SP (Li et al., ICML 2018): CE + alpha/2 ||w - w0||^2 on the backbone +
# beta/2 ||w||^2 on the head (alpha = beta = 0.01, tllib's), with weight decay
# 0. For a CE-tuning config:
#   model = {{_base_.l2sp_model}}
#   optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
l2sp_model = dict(
    type='RegularizedClassifier',
    regularizers=[dict(type='L2SPRegularizer', alpha=0.01, beta=0.01)])
