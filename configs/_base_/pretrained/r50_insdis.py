# ResNet-50 from InsDis (Wu et al., CVPR 2018), PyContrast's release
# (HobbitLong/PyContrast, pycontrast/docs/MODEL_ZOO.md: InsDis.pth, 200
# epochs). Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format pycontrast InsDis.pth checkpoints/r50_insdis.pth
# For a ResNet-50 config (the MoCo v2 one's backbone, another checkpoint):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r50_insdis.pth',
            prefix=None)))
