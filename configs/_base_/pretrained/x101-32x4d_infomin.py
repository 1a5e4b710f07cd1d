# ResNeXt-101 (32x4d) from InfoMin (Tian et al., NeurIPS 2020), PyContrast's
# release for other architectures (HobbitLong/PyContrast, pycontrast/docs/
# MODEL_ZOO.md, "ResNet and ResNeXt with InfoMin":
# InfoMin_resnext101v1_e200.pth, 200 epochs). The release also has 32x8d
# (v2) and 64x4d (v3) widths: for those, convert that file and set groups /
# width_per_group. Convert it first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format pycontrast InfoMin_resnext101v1_e200.pth \
#       checkpoints/x101-32x4d_infomin.pth
# (PyContrast's ResNeXt has torchvision's keys, which are mmpretrain's.)
# For a ResNet-50 config (the backbone replaced; 2048-d features as before):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ResNeXt',
        depth=101,
        groups=32,
        width_per_group=4,
        out_indices=(3, ),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/x101-32x4d_infomin.pth')))
