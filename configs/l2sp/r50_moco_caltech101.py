# L2-SP of MoCo v2 ResNet-50 on Caltech-101: CE-tuning's settings
# (../baselines/ce_r50_moco_caltech101.py) with ../_base_/methods/l2sp.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_caltech101.py', '../_base_/methods/l2sp.py']

model = {{_base_.l2sp_model}}
optim_wrapper = dict(optimizer=dict(weight_decay=0.0))
