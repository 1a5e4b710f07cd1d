# VPT-deep with CE-tuning on the ViT-Tiny miniature: ../baselines/
# ce_vit-tiny-p7_simclr_fmnist.py with the ViT frozen and 5 learned prompt
# tokens before each of its 12 layers (../_base_/methods/vpt_deep.py); the
# prompts and the linear head train, at lr 1e-3 (as LoRA's; the benchmark
# tunes it).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_vit-tiny-p7_simclr_fmnist.py',
    '../_base_/methods/vpt_deep.py',
]

model = dict(backbone={{_base_.vpt_backbone}})
optim_wrapper = dict(optimizer=dict(lr=1e-3))
