# ResNet-50 (1x) from BYOL (Grill et al., NeurIPS 2020): deepmind-research's
# pretrain_res50x1.pkl (JAX) converted to a PyTorch file with torchvision keys
# (pretrain_res50x1.pth). Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py --format byol \
#       pretrain_res50x1.pth checkpoints/r50_byol.pth
# For a ResNet-50 config (the MoCo v2 one's backbone, another checkpoint):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r50_byol.pth',
            prefix=None)))
