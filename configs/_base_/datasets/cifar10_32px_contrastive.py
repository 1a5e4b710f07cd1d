# CIFAR-10 at its own 32x32 size for contrastive pre-training (SimCLR / SupCon
# / TCL) and the linear classifier that evaluates it, the SupCon protocol the
# TCL supplement follows. Two views per image: random resized crop (scale
# 0.2-1), flip, colour jitter (0.4, 0.4, 0.4, 0.1) with probability 0.8,
# greyscale with probability 0.2 (SupCon's CIFAR augmentation, Khosla et al.
# 2020, its released code). The linear stage: crop + flip; test: the image.
# mmctune's CIFAR10 (offline, names missing files; docs/data_preparation.md).
dataset_type = 'CIFAR10'
data_root = 'data/cifar10'

# the arrays are RGB
contrastive_data_preprocessor = dict(
    type='mmpretrain.SelfSupDataPreprocessor',
    mean=[125.3, 123.0, 113.9],
    std=[63.0, 62.1, 66.7],
    to_rgb=False)
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=10,
    mean=[125.3, 123.0, 113.9],
    std=[63.0, 62.1, 66.7],
    to_rgb=False)

view_pipeline = [
    dict(type='mmpretrain.RandomResizedCrop', scale=32,
         crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomApply',
        transforms=[
            dict(type='mmpretrain.ColorJitter', brightness=0.4,
                 contrast=0.4, saturation=0.4, hue=0.1)
        ],
        prob=0.8),
    dict(type='mmpretrain.RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.299, 0.587, 0.114)),  # RGB arrays
]
contrastive_train_dataloader = dict(
    batch_size=1024,
    num_workers=8,
    drop_last=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=[
            dict(type='mmpretrain.MultiView', num_views=2,
                 transforms=[view_pipeline]),
            dict(type='mmpretrain.PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
)

linear_train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=[
            dict(type='mmpretrain.RandomResizedCrop', scale=32,
                 crop_ratio_range=(0.2, 1.0), backend='pillow'),
            dict(type='mmpretrain.RandomFlip', prob=0.5,
                 direction='horizontal'),
            dict(type='mmpretrain.PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
)
test_dataloader = dict(
    batch_size=256,
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=[dict(type='mmpretrain.PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
)
test_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
