# LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models",
# ICLR 2022) on a ViT config: its VisionTransformer becomes mmctune's
# LoRAViT (the same arguments and init_cfg), frozen, with a rank-4 update
# (alpha 4: scaled by 1) of each layer's fused query/key/value projection;
# only the updates and the head train. The paper adapts W_q and W_v (Sec.
# 7.1) with r in {1, 2, 4, 8, 64} (Table 6) and sets alpha to the first r it
# tries (Sec. 4.1); mmpretrain's LoRAModel docstring uses 4 and 4. For a
# config of any method whose backbone is mmpretrain's VisionTransformer:
#   _base_ = [..., '../_base_/methods/lora.py']
#   model = dict(backbone={{_base_.lora_backbone}})
lora_backbone = dict(
    type='LoRAViT',
    lora_rank=4,
    lora_alpha=4,
    lora_dropout=0.0,
    targets=['qkv'])
