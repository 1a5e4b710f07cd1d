# The Core-tuning paper's Table 4 (other architectures): Core-tuning of the
# DeiT-S/16 (ViT-S/16) from DINO on Caltech101: the dataset's MoCo v2 config
# (../r50_moco_caltech101.py: its settings, eta and alpha of appendix C.2) with
# this backbone and checkpoint (../../_base_/pretrained/deit-s16_dino.py: where
# it comes from). CE-tuning counterpart:
# ../../baselines/ce_deit-s16_dino_caltech101.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../r50_moco_caltech101.py',
    '../../_base_/pretrained/deit-s16_dino.py',
]

model = {{_base_.pretrained_model}}
