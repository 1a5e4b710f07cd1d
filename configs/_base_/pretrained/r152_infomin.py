# ResNet-152 from InfoMin (Tian et al., NeurIPS 2020), PyContrast's release
# for other architectures (HobbitLong/PyContrast, pycontrast/docs/
# MODEL_ZOO.md, "ResNet and ResNeXt with InfoMin": InfoMin_resnet152_e200.pth,
# 200 epochs). Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format pycontrast InfoMin_resnet152_e200.pth \
#       checkpoints/r152_infomin.pth
# For a ResNet-50 config (the same ResNet, 152 layers):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        depth=152,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r152_infomin.pth',
            prefix=None)))
