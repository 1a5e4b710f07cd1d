# What the domain-generalisation datasets share (PACS, VLCS, Office-Home):
# leave-one-domain-out splits of a MultiDomainDataset, the augmentation of
# the standard DG benchmark suites (DomainBed): random resized crop 224
# (scale 0.7-1) + flip + colour jitter 0.3 + random greyscale 0.1; test:
# resize to 224x224. A dataset config sets the dataset type, data_root,
# number of classes and the default target; one config per target sets
# `target`.
# The batch is DomainBed's (the protocol the Core-tuning paper's §5.3 builds
# on): its batch size 32 is per source domain, one minibatch of 32 from each
# of the three source domains every step, 96 images in all (DomainBed's
# train.py zips one InfiniteDataLoader of batch 32 per training domain).
# DomainBalancedSampler takes the source domains in turn, so every batch of
# 96 holds exactly 32 of each. `train_dataloader.sampler.type=
# InfiniteSampler` samples the pooled source images instead.
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=1000,  # set by each dataset config
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# the sample's domain id travels with it (DomainAccuracy reads it)
pack_dg = dict(
    type='mmpretrain.PackInputs',
    meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape',
               'domain_label'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.7, 1.0)),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='mmpretrain.ColorJitter',
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        hue=0.3),
    dict(type='mmpretrain.RandomGrayscale', prob=0.1, keep_channels=True),
    pack_dg,
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(224, 224)),
    pack_dg,
]

# 20% of each source domain, stratified by class and seeded, is held out
# for training-domain validation (model selection); the target is tested
# only after training, by TargetDomainTestHook (../dg_runtime.py)
split = dict(val_fraction=0.2, seed=0)
train_dataloader = dict(
    # 32 per source domain x 3 source domains (DomainBed); the configs set
    # auto_scale_lr.base_batch_size=96 with it
    batch_size=96,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DomainBalancedSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(**split, split='train', pipeline=train_pipeline))
eval_loader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
val_dataloader = dict(
    **eval_loader, dataset=dict(**split, split='val', pipeline=test_pipeline))
test_dataloader = dict(
    **eval_loader, dataset=dict(split='test', pipeline=test_pipeline))
# per-domain top-1 and their mean (the selection key, as DomainBed)
val_evaluator = dict(type='DomainAccuracy', topk=(1, ))
test_evaluator = val_evaluator
