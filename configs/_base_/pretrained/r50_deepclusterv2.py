# ResNet-50 from DeepCluster-v2 (Caron et al., NeurIPS 2020, with SwAV),
# facebookresearch/swav's release (800 epochs): https://dl.fbaipublicfiles.com/
# deepcluster/deepclusterv2_800ep_pretrain.pth.tar. Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format deepcluster-v2 deepclusterv2_800ep_pretrain.pth.tar \
#       checkpoints/r50_deepclusterv2.pth
# For a ResNet-50 config (the MoCo v2 one's backbone, another checkpoint):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r50_deepclusterv2.pth',
            prefix=None)))
