# HCSC (Guo et al., CVPR 2022) with a ResNet-50, the official code's model
# (github.com/gyfastas/HCSC, configs/single_crop_200eps_bs256.yaml): MoCo v2
# with m 0.999, queue 16384, dim 128, tau 0.2, the MLP projector, instance
# and prototype selection. The pre-training configs
# (configs/pretrain/hcsc_r50_*_in1k.py) trace each value.
model = dict(
    type='HCSC',
    queue_len=16384,
    feat_dim=128,
    momentum=0.001,  # mmengine's EMA weight: m = 0.999
    temperature=0.2,
    instance_selection=True,
    proto_selection=True,
    data_preprocessor=dict(
        type='mmpretrain.SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False),
    # the official mlp=1: Linear(2048, 2048), ReLU, Linear(2048, 128)
    neck=dict(
        type='mmpretrain.MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=True))
