# L2-SP of MoCo v2 ResNet-50 on Caltech-101: CE-tuning's settings
# (../baselines/ce_r50_moco_caltech101.py) with ../_base_/methods/l2sp.py.
# Weight decay 1e-4, CE-tuning's: the Core-tuning supplement, C.2, gives
# "the factor of weight decay is set to 10^-4" "for all datasets" and "For
# other baselines, we use the same training setting for each dataset";
# tllib's L2-SP/DELTA examples use 0 (--cfg-options
# optim_wrapper.optimizer.weight_decay=0).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r50_moco_caltech101.py', '../_base_/methods/l2sp.py'
]

model = {{_base_.l2sp_model}}
