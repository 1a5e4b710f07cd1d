# DELTA of MoCo v2 ResNet-50 on caltech101: CE + attention-weighted distance of
# the ResNet stages' feature maps to the pre-trained backbone's + L2 on the
# head (alpha = beta = 0.01, weight decay 0; attention from 10 training batches
# before training).
_base_ = ['../baselines/ce_r50_moco_caltech101.py']

model = dict(
    type='RegularizedClassifier',
    regularizers=[dict(type='DELTARegularizer', alpha=0.01, beta=0.01)])
optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
custom_hooks = [dict(type='DELTAAttentionHook', num_batches=10)]
