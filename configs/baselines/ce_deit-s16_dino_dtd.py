# The Core-tuning paper's Table 4 (other architectures): CE-tuning of the
# DeiT-S/16 (ViT-S/16) from DINO on DTD: the dataset's MoCo v2 config
# (./ce_r50_moco_dtd.py: appendix C.2) with this backbone and checkpoint
# (../_base_/pretrained/deit-s16_dino.py: where it comes from). Core-tuning
# counterpart: ../coretune/backbones/deit-s16_dino_dtd.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_moco_dtd.py', '../_base_/pretrained/deit-s16_dino.py']

model = {{_base_.pretrained_model}}
