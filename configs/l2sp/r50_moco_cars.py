# L2-SP of MoCo v2 ResNet-50 on cars: CE + alpha/2 ||w - w0||^2 on the backbone
# + beta/2 ||w||^2 on the head (alpha = beta = 0.01, weight decay 0).
_base_ = ['../baselines/ce_r50_moco_cars.py']

model = dict(
    type='RegularizedClassifier',
    regularizers=[dict(type='L2SPRegularizer', alpha=0.01, beta=0.01)])
optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
