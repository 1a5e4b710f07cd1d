# The Core-tuning paper's Table 3 (other pre-trainings): Core-tuning of the
# ResNet-50 from BYOL on DTD: the dataset's MoCo v2 config (../r50_moco_dtd.py:
# its settings, eta and alpha of appendix C.2) with this backbone and
# checkpoint (../../_base_/pretrained/r50_byol.py: where it comes from).
# CE-tuning counterpart: ../../baselines/ce_r50_byol_dtd.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_dtd.py', '../../_base_/pretrained/r50_byol.py']

model = {{_base_.pretrained_model}}
