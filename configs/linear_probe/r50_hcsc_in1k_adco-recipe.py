# Linear classification of HCSC on ImageNet-1k under AdCo's configuration,
# the HCSC supplement's Table 1 (row "HCSC, AdCo [9]": initial lr 10.0,
# cosine scheduler; 68.9 top-1): ./r50_hcsc_in1k.py with those two changed.
# The table gives only the learning rate and the scheduler: the rest is §1's
# (SGD, momentum 0.9, weight decay 0, batch 256, 100 epochs).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./r50_hcsc_in1k.py']

optim_wrapper = dict(optimizer=dict(lr=10.0))
param_scheduler = dict(
    _delete_=True,
    type='CosineAnnealingLR',
    T_max=100,
    by_epoch=True,
    eta_min=0.0)
