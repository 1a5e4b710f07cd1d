# What the classification datasets share: the Core-tuning paper's pipelines
# (supplement C.2) and dataloaders. A dataset config sets the dataset's type,
# data_root and splits, the number of classes and the paper's batch size.
# CIFAR (cifar10.py) and Aircraft (aircraft.py) train with rescaling and
# rotation instead (C.2), their own train pipelines.
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    num_classes=1000,  # set by each dataset config
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# train: random resized crop 224 + horizontal flip, the standard fine-tuning
# recipe, for the datasets where C.2 names no other
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=224),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]

# test: C.2, "resize images to 256x256 and then take a 224x224 center crop":
# both sides to 256 (the aspect ratio is not kept), then the centre 224x224
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(256, 256)),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(
    batch_size=256,  # the paper's total batch; see auto_scale_lr
    num_workers=8,
    dataset=dict(split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))

# a dataset config that changes val_dataloader repeats this line
test_dataloader = val_dataloader
test_evaluator = val_evaluator
