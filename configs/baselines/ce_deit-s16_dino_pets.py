# The Core-tuning paper's Table 4 (other architectures): CE-tuning of the
# DeiT-S/16 (ViT-S/16) from DINO on Pets: the dataset's MoCo v2 config
# (./ce_r50_moco_pets.py: appendix C.2) with this backbone and checkpoint
# (../_base_/pretrained/deit-s16_dino.py: where it comes from). Core-tuning
# counterpart: ../coretune/backbones/deit-s16_dino_pets.py.
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_moco_pets.py', '../_base_/pretrained/deit-s16_dino.py']

model = {{_base_.pretrained_model}}
