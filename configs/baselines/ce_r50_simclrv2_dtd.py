# The Core-tuning supplement's Table 9 (SimCLR pre-trainings, appendix D.3):
# CE-tuning of the ResNet-50 from SimCLR v2 on DTD: the dataset's MoCo v2
# config (./ce_r50_moco_dtd.py: appendix C.2) with this backbone and checkpoint
# (../_base_/pretrained/r50_simclrv2.py: where it comes from). Core-tuning
# counterpart: ../coretune/backbones/r50_simclrv2_dtd.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_moco_dtd.py', '../_base_/pretrained/r50_simclrv2.py']

model = {{_base_.pretrained_model}}
