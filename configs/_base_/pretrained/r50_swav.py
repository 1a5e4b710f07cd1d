# ResNet-50 from SwAV (Caron et al., NeurIPS 2020), facebookresearch/swav's
# release (800 epochs): https://dl.fbaipublicfiles.com/deepcluster/
# swav_800ep_pretrain.pth.tar. Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py --format swav \
#       swav_800ep_pretrain.pth.tar checkpoints/r50_swav.pth
# For a ResNet-50 config (the MoCo v2 one's backbone, another checkpoint):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r50_swav.pth',
            prefix=None)))
