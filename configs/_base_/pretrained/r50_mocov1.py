# ResNet-50 from MoCo v1 (He et al., CVPR 2020), facebookresearch/moco's
# release (200 epochs): https://dl.fbaipublicfiles.com/moco/moco_checkpoints/
# moco_v1_200ep/moco_v1_200ep_pretrain.pth.tar. Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py --format moco \
#       moco_v1_200ep_pretrain.pth.tar checkpoints/r50_mocov1.pth
# For a ResNet-50 config (the MoCo v2 one's backbone, another checkpoint):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r50_mocov1.pth',
            prefix=None)))
