# DELTA (Li et al., ICLR 2019): CE + attention-weighted distance of the ResNet
# stages' feature maps to the pre-trained backbone's + L2 on the head (alpha =
# beta = 0.01, tllib's); the channel attention is measured on 10 training
# batches before training. For a CE-tuning config:
#   model = {{_base_.delta_model}}
# Weight decay: the paper configs (delta/r50_moco_<dataset>.py) keep
# CE-tuning's 1e-4 (the Core-tuning supplement, C.2: weight decay 10^-4 for
# all datasets, and "For other baselines, we use the same training
# setting"); tllib's example (examples/task_adaptation/image_classification/
# delta.py, --wd 0) and the Fashion-MNIST configs use 0:
#   optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
delta_model = dict(
    type='RegularizedClassifier',
    regularizers=[dict(type='DELTARegularizer', alpha=0.01, beta=0.01)])
custom_hooks = [dict(type='DELTAAttentionHook', num_batches=10)]
