# ResNet-50 (1x) from SimCLR v1 (Chen et al., ICML 2020): google-research/
# simclr's TensorFlow checkpoint converted to PyTorch with simclr-converter
# (tonylins/simclr-converter: resnet50-1x.pth). Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format simclr-v1 resnet50-1x.pth checkpoints/r50_simclrv1.pth
# For a ResNet-50 config (the MoCo v2 one's backbone, another checkpoint):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r50_simclrv1.pth',
            prefix=None)))
