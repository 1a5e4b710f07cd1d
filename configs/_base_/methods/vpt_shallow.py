# VPT-shallow (Jia et al., "Visual Prompt Tuning", ECCV 2022): vpt_deep.py
# with one set of prompt tokens, entering the first layer only:
#   _base_ = [..., '../_base_/methods/vpt_shallow.py']
#   model = dict(backbone={{_base_.vpt_backbone}})
_base_ = ['./vpt_deep.py']

vpt_backbone = dict(deep=False)
