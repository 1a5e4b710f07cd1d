# The Core-tuning paper's Table 3 (row "CE, Supervised") and Table 1 (row
# SL-CE-tuning): CE-tuning of the supervised ImageNet ResNet-50 (torchvision's
# weights) on Caltech101 with the dataset's settings
# (./ce_r50_moco_caltech101.py: appendix C.2). Core-tuning counterpart (Table
# 3): ../coretune/backbones/r50_supervised_caltech101.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    './ce_r50_moco_caltech101.py',
    '../_base_/pretrained/r50_supervised.py',
]

model = {{_base_.pretrained_model}}
