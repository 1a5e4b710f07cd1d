# L2-SP (Li et al., ICML 2018): CE + alpha/2 ||w - w0||^2 on the backbone +
# beta/2 ||w||^2 on the head (alpha = beta = 0.01, tllib's). For a CE-tuning
# config: model = {{_base_.l2sp_model}}
# Weight decay: the paper configs (l2sp/r50_moco_<dataset>.py) keep
# CE-tuning's 1e-4 (the Core-tuning supplement, C.2: weight decay 10^-4 for
# all datasets, and "For other baselines, we use the same training
# setting"); tllib's example (examples/task_adaptation/image_classification/
# delta.py, --wd 0) and the Fashion-MNIST configs use 0:
#   optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
l2sp_model = dict(
    type='RegularizedClassifier',
    regularizers=[dict(type='L2SPRegularizer', alpha=0.01, beta=0.01)])
