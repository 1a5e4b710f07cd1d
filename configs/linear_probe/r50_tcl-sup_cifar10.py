# Stage 2 of TCL's supervised protocol (the TCL supplement, §2.1): the linear
# classifier on the frozen encoder of configs/pretrain/tcl-sup_r50_cifar10.py,
# with the settings of ./r50_supcon_cifar10.py ("Except for the contrastive
# training learning rate, every other detail presented is common for SupCon
# and TCL").
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['./r50_supcon_cifar10.py']

checkpoint = 'work_dirs/pretrain/tcl-sup_r50_cifar10/epoch_100.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=checkpoint)))
