# Core-tuning with LoRA on the ViT-Tiny miniature: Core-tuning's head and
# losses (../coretune/vit-tiny-p7_simclr_fmnist.py) on a frozen ViT with
# rank-4 updates (../_base_/methods/lora.py), lr as LoRA's
# (vit-tiny-p7_simclr_fmnist.py). The contrastive loss reaches the
# backbone only through the updates; the projector and head train.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../coretune/vit-tiny-p7_simclr_fmnist.py',
    '../_base_/methods/lora.py',
]

model = dict(backbone={{_base_.lora_backbone}})
optim_wrapper = dict(optimizer=dict(lr=1e-3))
