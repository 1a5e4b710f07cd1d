# DeiT-S/16 (ViT-S/16) from DINO (Caron et al., ICCV 2021),
# facebookresearch/dino's release: https://dl.fbaipublicfiles.com/dino/
# dino_deitsmall16_pretrain/dino_deitsmall16_pretrain.pth. Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py --format dino-vit \
#       dino_deitsmall16_pretrain.pth checkpoints/deit-s16_dino.pth
# The class token (384-d) feeds the classifier and the projector (no pooling
# neck). For a ResNet-50 config (backbone, neck and feature width replaced):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch='deit-small',
        img_size=224,
        patch_size=16,
        out_type='cls_token',
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/deit-s16_dino.pth')),
    neck=None,
    head=dict(in_channels=384))
