# VPT-shallow with CE-tuning on the ViT-Tiny miniature: ../baselines/
# ce_vit-tiny-p7_simclr_fmnist.py with the ViT frozen and one set of 5
# learned prompt tokens entering its first layer (../_base_/methods/
# vpt_shallow.py), lr as VPT-deep's (deep_vit-tiny-p7_simclr_fmnist.py).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_vit-tiny-p7_simclr_fmnist.py',
    '../_base_/methods/vpt_shallow.py',
]

model = dict(backbone={{_base_.vpt_backbone}})
optim_wrapper = dict(optimizer=dict(lr=1e-3))
