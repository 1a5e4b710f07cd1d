# ViT-S/16 from MoCo v3 (Chen et al., "An Empirical Study of Training
# Self-Supervised Vision Transformers", ICCV 2021), facebookresearch/moco-v3's
# release: https://dl.fbaipublicfiles.com/moco-v3/vit-s-300ep/
# vit-s-300ep.pth.tar. Convert it first (the base encoder is kept):
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format mocov3-vit vit-s-300ep.pth.tar checkpoints/vit-s16_mocov3.pth
# MoCo v3's ViT-S has 12 attention heads (its vits.py, vit_small), where
# mmpretrain's 'deit-small' has 6: the weights have the same shapes either
# way, so the arch is written out here; a 6-head ViT would load them and
# compute something else. The class token (384-d) feeds the classifier and
# the projector (no pooling neck). For a ResNet-50 config (backbone, neck
# and feature width replaced):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch=dict(
            embed_dims=384,
            num_layers=12,
            num_heads=12,
            feedforward_channels=1536),
        img_size=224,
        patch_size=16,
        out_type='cls_token',
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/vit-s16_mocov3.pth')),
    neck=None,
    head=dict(in_channels=384))
