# ResNet-50 from InfoMin (Tian et al., NeurIPS 2020), PyContrast's release
# (HobbitLong/PyContrast, pycontrast/docs/MODEL_ZOO.md: InfoMin_800.pth, 800
# epochs). Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format pycontrast InfoMin_800.pth checkpoints/r50_infomin.pth
# For a ResNet-50 config (the MoCo v2 one's backbone, another checkpoint):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r50_infomin.pth',
            prefix=None)))
