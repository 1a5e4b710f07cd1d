# ResNet-101 from InfoMin (Tian et al., NeurIPS 2020), PyContrast's release
# for other architectures (HobbitLong/PyContrast, pycontrast/docs/
# MODEL_ZOO.md, "ResNet and ResNeXt with InfoMin": InfoMin_resnet101_e300.pth,
# 300 epochs). Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format pycontrast InfoMin_resnet101_e300.pth \
#       checkpoints/r101_infomin.pth
# For a ResNet-50 config (the same ResNet, 101 layers):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r101_infomin.pth',
            prefix=None)))
