# Linear classification on ImageNet-1k of an HCSC pre-trained ResNet-50, the
# HCSC supplement's setting (§1, "Linear classification"; its Table 1's PCL
# row, 69.2 top-1 for the 200-epoch model): "we follow the learning
# configuration of PCL [12] to train the linear classifier with an SGD
# optimizer (weight decay: 0; momentum: 0.9; batch size: 256) for 100 epochs.
# The learning rate is initialized as 5.0 and decayed by a factor of 0.1 at
# the 60th and 80th epoch." The encoder is frozen, BN statistics included.
# Not stated (configs/provenance.yml): the views, here the ImageNet linear
# evaluation of MoCo's main_lincls.py (random resized crop 224 + flip; test:
# resize 256, centre crop 224), and the GPU count (one GPU holds the 256).
# Reads the checkpoint of ../pretrain/hcsc_r50_8xb32-200e_in1k.py from its
# default work dir (the one-GPU run's: --cfg-options
# model.backbone.init_cfg.checkpoint=...). Table 1's other rows:
# ./r50_hcsc_in1k_adco-recipe.py, ./r50_hcsc_in1k_mocov2-recipe.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../_base_/default_runtime.py']

checkpoint = 'work_dirs/pretrain/hcsc_r50_8xb32-200e_in1k/epoch_200.pth'
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
model = dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        out_indices=(3, ),
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='mmpretrain.LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))

train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(
        type='mmpretrain.ResizeEdge',
        scale=256,
        edge='short',
        backend='pillow'),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmpretrain.ImageNet',
        data_root='data/imagenet',
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmpretrain.ImageNet',
        data_root='data/imagenet',
        split='val',
        pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

max_epochs = 100
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=5.0, momentum=0.9, weight_decay=0.0))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
