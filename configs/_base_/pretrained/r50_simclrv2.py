# ResNet-50 (1x, no selective kernels) from SimCLR v2 (Chen et al., NeurIPS
# 2020): google-research/simclr's r50_1x_sk0 converted to PyTorch with
# SimCLRv2-Pytorch (Separius/SimCLRv2-Pytorch: r50_1x_sk0.pth). Convert it:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format simclr-v2 r50_1x_sk0.pth checkpoints/r50_simclrv2.pth
# For a ResNet-50 config (the MoCo v2 one's backbone, another checkpoint):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r50_simclrv2.pth',
            prefix=None)))
