# Core-tuning paper, appendix C.2, ImageNet20: "For most datasets, we
# fine-tune networks for 100 epochs using Nesterov momentum via the cosine
# learning rate schedule. For ImageNet20, we fine-tune networks using
# stochastic gradient descent via the linear learning rate decay." and "For
# all datasets, the momentum parameter is set to 0.9, while the factor of
# weight decay is set to 10^-4": SGD with (plain, not Nesterov) momentum 0.9,
# weight decay 1e-4, the learning rate decaying linearly to 0 (poly decay
# with power 1), per iteration, 100 epochs. The paper reserves Nesterov for
# the other datasets; the released code covers CIFAR only.
_base_ = './sgd_cosine_100e.py'

optim_wrapper = dict(optimizer=dict(nesterov=False))
param_scheduler = dict(
    _delete_=True,
    type='PolyLR',
    power=1.0,
    eta_min=0.0,
    by_epoch=True,
    convert_to_iter_based=True)
