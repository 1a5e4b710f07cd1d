# Core-tuning with VPT-deep on the ViT-Tiny miniature: Core-tuning's head
# and losses (../coretune/vit-tiny-p7_simclr_fmnist.py) on a frozen ViT with
# 5 prompt tokens before each layer (../_base_/methods/vpt_deep.py), lr as
# VPT-deep's (deep_vit-tiny-p7_simclr_fmnist.py).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../coretune/vit-tiny-p7_simclr_fmnist.py',
    '../_base_/methods/vpt_deep.py',
]

model = dict(backbone={{_base_.vpt_backbone}})
optim_wrapper = dict(optimizer=dict(lr=1e-3))
