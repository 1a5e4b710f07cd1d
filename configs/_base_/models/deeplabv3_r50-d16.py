# DeepLabV3 with a dilated ResNet-50, output stride 16 (the Core-tuning
# paper's §5.2): ASPP decode head, and mmseg's FCN auxiliary head on stage 3
# (loss weight 0.4), which the paper does not list: its VOC configs set
# auxiliary_head=None (../../seg/deeplabv3_r50_moco_ce_voc12aug.py); the
# *_mmseg-recipe configs and the stardist smoke run keep it. The
# backbone is torchvision's ResNet-50 layout (`mmseg.ResNet`, 7x7 stem), so
# the classification checkpoints load into it; `mmseg.ResNetV1c` (3-layer
# stem, mmseg's own ImageNet weights) is the other option:
#   model = dict(backbone=dict(type='mmseg.ResNetV1c', init_cfg=dict(
#       type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')))
# SyncBN: on a machine without CUDA, BN (see docs/methods/segmentation.md).
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    # training batches padded to the 513x513 crop (the paper's)
    size=(513, 513))
moco_v2_checkpoint = ('https://dl.fbaipublicfiles.com/moco/moco_checkpoints/'
                      'moco_v2_800ep/moco_v2_800ep_pretrain.pth.tar')
# the FCN auxiliary head (mmseg's DeepLabV3); a config that keeps it lists
# it with the contrastive regulariser:
# auxiliary_head=[{{_base_.fcn_aux_head}}, {{_base_.contrastive_reg_head}}]
fcn_aux_head = dict(
    type='mmseg.FCNHead',
    in_channels=1024,
    in_index=2,
    channels=256,
    num_convs=1,
    concat_input=False,
    dropout_ratio=0.1,
    num_classes=21,
    norm_cfg=norm_cfg,
    align_corners=False,
    loss_decode=dict(
        type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4))
# Core-tuning's contrastive regulariser on the pooled last stage (the
# paper's Core-tuning configs:
# auxiliary_head=[{{_base_.contrastive_reg_head}}]): focal SupCon on hard
# pairs from hardness-directed mixup, image labels from the masks (the
# dominant non-background, non-ignore class; background-only images left
# out). eta, alpha: CIFAR10's.
contrastive_reg_head = dict(
    type='ContrastiveSegHead',
    in_channels=2048,
    num_classes=21,
    in_index=3,
    # loss_weight: eta
    con_loss=dict(type='FocalSupConLoss', temperature=0.07, loss_weight=0.1),
    miner=dict(type='HardnessDirectedMixup', alpha=1.0, lambda_n=0.8),
    background_index=0,
    background_only='ignore',
    # mine and contrast over the global batch (16 on the paper's 2 GPUs)
    gather_distributed=True)
model = dict(
    type='mmseg.EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmseg.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        # output stride 16: stage 4 dilated instead of strided
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=moco_v2_checkpoint,
            prefix='module.encoder_q.')),
    decode_head=dict(
        type='mmseg.ASPPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        # rates for output stride 16 (DeepLabV3)
        dilations=(1, 6, 12, 18),
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='mmseg.CrossEntropyLoss', use_sigmoid=False,
            loss_weight=1.0)),
    auxiliary_head=fcn_aux_head,
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
