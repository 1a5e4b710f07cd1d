# The Core-tuning paper's Table 4 (other architectures): CE-tuning of the
# ResNet-152 from InfoMin on DTD: the dataset's MoCo v2 config
# (./ce_r50_moco_dtd.py: appendix C.2) with this backbone and checkpoint
# (../_base_/pretrained/r152_infomin.py: where it comes from). Core-tuning
# counterpart: ../coretune/backbones/r152_infomin_dtd.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_moco_dtd.py', '../_base_/pretrained/r152_infomin.py']

model = {{_base_.pretrained_model}}
