# Linear classification of HCSC on ImageNet-1k under MoCo v2's configuration,
# the HCSC supplement's Table 1 (row "HCSC, MoCo v2 [4]": initial lr 30.0,
# step(0.1, [60,80]); 67.3 top-1): ./r50_hcsc_in1k.py with lr 30. The table
# gives only the learning rate and the scheduler: the rest is §1's (SGD,
# momentum 0.9, weight decay 0, batch 256, 100 epochs).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./r50_hcsc_in1k.py']

optim_wrapper = dict(optimizer=dict(lr=30.0))
