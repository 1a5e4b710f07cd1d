# VPT-deep (Jia et al., "Visual Prompt Tuning", ECCV 2022; code KMnP/vpt) on
# a ViT config: its VisionTransformer becomes mmctune's PromptedViT (the
# same arguments and init_cfg), frozen, with 5 learned prompt tokens before
# every layer (the code's default, MODEL.PROMPT.NUM_TOKENS; the paper tunes
# the number per task), no prompt dropout (the code's default,
# MODEL.PROMPT.DROPOUT); only the prompts and the head train. For a config
# of any method whose backbone is mmpretrain's VisionTransformer:
#   _base_ = [..., '../_base_/methods/vpt_deep.py']
#   model = dict(backbone={{_base_.vpt_backbone}})
vpt_backbone = dict(
    type='PromptedViT', num_prompts=5, deep=True, prompt_dropout=0.0)
