# HCSC pre-training (Guo et al., CVPR 2022) of ResNet-50 on ImageNet-1k, the
# paper's single-crop 200-epoch setting in the official run's layout: 8 GPUs
# x 32 images (the official configs/single_crop_200eps_bs256.yaml of
# github.com/gyfastas/HCSC and its DistributedDataParallel launch: batch 256
# split over 8 GPUs, SGD lr 0.03 momentum 0.9 weight decay 1e-4, cosine to 0,
# 200 epochs, m 0.999, queue 16384, dim 128, tau 0.2, MLP projector, MoCo v2
# augmentation, prototypes 3000-2000-1000, clustering from epoch 20).
# Shuffle-BN: each GPU's BN normalises its own 32 queries, and the key batch
# is shuffled across the 8 GPUs before the key encoder (HCSC.key_features),
# so a key's BN statistics come from other images than its query's: it is
# what keeps BN from telling the key encoder which key is the positive. It
# needs the 8 processes:
#   bash tools/dist_train.sh configs/pretrain/hcsc_r50_8xb32-200e_in1k.py 8
# On one GPU use ./hcsc_r50_1xb256-splitbn8-200e_in1k.py, which emulates it;
# this config run on one process keeps its 32 per GPU (a batch of 32, and
# tools/train.py says so).
# The checkpoint keeps the query encoder under `backbone.`, as mmpretrain's
# MoCo: fine-tuning configs load it with prefix='backbone.'.
# batch: 8 GPUs x 32 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../_base_/default_runtime.py']

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

# MoCo v2's augmentation (the official aug-plus; hcsc/loader.py)
view_pipeline = [
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    dict(
        type='mmpretrain.RandomApply',
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='mmpretrain.RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(
        type='mmpretrain.GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmpretrain.ImageNet',
        data_root='data/imagenet',
        split='train',
        pipeline=[
            dict(type='mmpretrain.LoadImageFromFile'),
            dict(
                type='mmpretrain.MultiView',
                num_views=2,
                transforms=[view_pipeline]),
            # sample_idx (a default meta key) is the index HCSC needs
            dict(type='mmpretrain.PackInputs')
        ]))
# self-supervised: no labels, no validation
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
max_epochs = 200
# the official adjust_learning_rate: cosine by epoch, from 0.03 to 0
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        eta_min=0.)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=256)

# the official eval loader of the clustering: resize 256, centre crop 224
cluster_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(
        type='mmpretrain.ResizeEdge',
        scale=256,
        edge='short',
        backend='pillow'),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    dict(type='mmpretrain.PackInputs')
]
custom_hooks = [
    dict(
        type='HierarchicalKMeansHook',
        num_clusters=(3000, 2000, 1000),
        warmup_epochs=20,
        pipeline=cluster_pipeline,
        # the official eval loader's batch: 5 x the batch per GPU
        batch_size=160,
        num_workers=8)
]

default_hooks = dict(
    logger=dict(interval=50),
    # the official code saves every 5 epochs
    checkpoint=dict(interval=5, max_keep_ckpts=3, save_best=None))
