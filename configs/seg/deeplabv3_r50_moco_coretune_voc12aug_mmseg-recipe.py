# Core-tuning's contrastive regulariser in DeepLabV3 with mmseg's VOC recipe
# (./deeplabv3_r50_moco_ce_voc12aug_mmseg-recipe.py: FCN auxiliary head,
# photometric distortion, whole-image evaluation), from MoCo v2; the
# regulariser as in the paper's config
# (./deeplabv3_r50_moco_coretune_voc12aug.py), beside the FCN head.
# batch: 1 GPU x 16 = 16 (auto_scale_lr.base_batch_size)
# (the paper: 2 GPUs x 8, which `bash tools/dist_train.sh CONFIG 2` runs)
_base_ = ['./deeplabv3_r50_moco_ce_voc12aug_mmseg-recipe.py']

model = dict(auxiliary_head=[
    {{_base_.fcn_aux_head}},
    {{_base_.contrastive_reg_head}},
])
