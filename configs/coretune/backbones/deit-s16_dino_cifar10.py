# Core-tuning on CIFAR10 with DINO's DeiT-S/16 (ViT-S/16) (the paper's Table 4).
# Convert the published checkpoint first:
#   python tools/model_converters/convert_ssl_checkpoint.py --format dino-vit \
#       dino_deitsmall16_pretrain.pth checkpoints/deit-s16_dino.pth
# The class token (384-d) feeds the classifier and the projector.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(
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
