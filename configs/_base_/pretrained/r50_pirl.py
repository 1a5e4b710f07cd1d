# ResNet-50 from PIRL (Misra & van der Maaten, CVPR 2020), PyContrast's
# re-implementation (HobbitLong/PyContrast, pycontrast/docs/MODEL_ZOO.md:
# PIRL.pth, 200 epochs). Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format pycontrast PIRL.pth checkpoints/r50_pirl.pth
# For a ResNet-50 config (the MoCo v2 one's backbone, another checkpoint):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r50_pirl.pth',
            prefix=None)))
