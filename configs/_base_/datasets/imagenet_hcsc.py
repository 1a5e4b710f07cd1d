# ImageNet-1k for HCSC's pre-training (configs/pretrain/hcsc_r50_*_in1k.py):
# two views of MoCo v2's augmentation per image, 32 images per GPU (the
# official 8 GPUs x 32; a config for another layout sets its batch), no
# labels and no validation; and the clustering's view of the images
# (cluster_pipeline, for HierarchicalKMeansHook).

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
