# CIFAR-10 at its own 32x32 size for contrastive pre-training (SupCon / TCL /
# SimCLR) and the linear classifier that evaluates it: the two settings of the
# TCL supplement ("Tuned Contrastive Learning", supplementary material, §2).
# mmctune's CIFAR10 (offline, names missing files; docs/data_preparation.md).
#
# Supervised setting (§2.1): "AutoAugment [3] is the common data augmentation
# method used", "Image size is resized to 32x32 in the data augmentation
# pipeline. We use a batch size of 128." Each view: random resized crop 32
# (scale 0.2-1, SupCon's CIFAR crop: the supplement names no crop), flip and
# AutoAugment with the policy the AutoAugment paper learned on CIFAR-10
# (torchvision's; the supplement names no policy). The linear stage takes the
# same augmentation on one view (§2.1 gives AutoAugment for both stages);
# test: the 32x32 image.
#
# Self-supervised setting (§2.3): "Augmentation used is SimAugment [1] and is
# done in the same manner as [4]" (solo-learn), "Gaussian blur is used for
# self-supervised setting". The transforms and their values are solo-learn's
# CIFAR recipe (github.com/vturrisi/solo-learn,
# scripts/pretrain/cifar/augmentations/symmetric.yaml, and the order of its
# build_transform_pipeline): random resized crop 32 (scale 0.08-1, bicubic),
# colour jitter (0.8, 0.8, 0.8, 0.2) with probability 0.8, greyscale with
# probability 0.2, Gaussian blur (sigma 0.1-2) with probability 0.5, flip.
dataset_type = 'CIFAR10'
data_root = 'data/cifar10'

# the arrays are RGB; CIFAR-10's mean and std (SupCon's and solo-learn's)
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

# -- supervised setting (TCL supplement §2.1): AutoAugment ------------------
autoaugment_transforms = [
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=32,
        crop_ratio_range=(0.2, 1.0),
        backend='pillow'),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='TorchvisionAutoAugment', policy='cifar10',
         channel_order='rgb'),  # RGB arrays
]
contrastive_train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    drop_last=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=[
            dict(
                type='mmpretrain.MultiView',
                num_views=2,
                transforms=[autoaugment_transforms]),
            dict(type='mmpretrain.PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
)
linear_train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=autoaugment_transforms +
        [dict(type='mmpretrain.PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
)

# -- self-supervised setting (TCL supplement §2.3): solo-learn's SimAugment -
simaugment_transforms = [
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=32,
        crop_ratio_range=(0.08, 1.0),
        interpolation='bicubic',
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.8,
                contrast=0.8,
                saturation=0.8,
                hue=0.2)
        ],
        prob=0.8),
    dict(
        type='mmpretrain.RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.299, 0.587, 0.114)),  # RGB arrays
    dict(
        type='mmpretrain.GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
]
selfsup_train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    drop_last=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=[
            dict(
                type='mmpretrain.MultiView',
                num_views=2,
                transforms=[simaugment_transforms]),
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
