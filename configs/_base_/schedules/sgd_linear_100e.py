# Core-tuning paper, appendix C.2, ImageNet20: as sgd_cosine_100e but the
# learning rate decays linearly to 0 (poly decay with power 1).
_base_ = './sgd_cosine_100e.py'

param_scheduler = dict(
    _delete_=True,
    type='PolyLR',
    power=1.0,
    eta_min=0.0,
    by_epoch=True,
    convert_to_iter_based=True)
