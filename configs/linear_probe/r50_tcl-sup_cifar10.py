# Stage 2 of TCL's supervised protocol: the linear classifier on the frozen
# encoder of configs/pretrain/tcl-sup_r50_cifar10.py (see
# r50_supcon_cifar10.py).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./r50_supcon_cifar10.py']

checkpoint = 'work_dirs/pretrain/tcl-sup_r50_cifar10/epoch_100.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=checkpoint)))
