# The Core-tuning paper's Table 4 (other architectures): Core-tuning of the
# ResNeXt-152 (32x4d) from InfoMin on DTD: the dataset's MoCo v2 config
# (../r50_moco_dtd.py: its settings, eta and alpha of appendix C.2) with this
# backbone and checkpoint (../../_base_/pretrained/x152-32x4d_infomin.py: where
# it comes from). CE-tuning counterpart:
# ../../baselines/ce_x152-32x4d_infomin_dtd.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../r50_moco_dtd.py',
    '../../_base_/pretrained/x152-32x4d_infomin.py',
]

model = {{_base_.pretrained_model}}
