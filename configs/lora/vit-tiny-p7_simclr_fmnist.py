# LoRA with CE-tuning on the ViT-Tiny miniature: ../baselines/
# ce_vit-tiny-p7_simclr_fmnist.py with the ViT frozen and a rank-4 update of
# each layer's query/key/value projection (../_base_/methods/lora.py); the
# updates and the linear head train, at lr 1e-3 (parameter-efficient
# methods train few, freshly initialised parameters: a higher rate than
# full fine-tuning's; the benchmark tunes it).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_vit-tiny-p7_simclr_fmnist.py',
    '../_base_/methods/lora.py',
]

model = dict(backbone={{_base_.lora_backbone}})
optim_wrapper = dict(optimizer=dict(lr=1e-3))
