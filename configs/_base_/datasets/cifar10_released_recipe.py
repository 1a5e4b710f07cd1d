# CIFAR10 with the augmentation of the authors' released Core-tuning
# script (not the paper's appendix): train resize 272, random rotation within
# +-15 degrees, random crop 256, flip; test resize 256.
_base_ = ['./cifar10.py']

train_pipeline = [
    dict(type='mmpretrain.Resize', scale=272),
    dict(
        type='mmpretrain.Rotate',  # uniform angle in [-15, 15], black fill
        magnitude_range=(0, 15),
        magnitude_level=10,
        magnitude_std='inf',
        random_negative_prob=0.5,
        pad_val=0,
        prob=1.0),
    dict(type='mmpretrain.RandomCrop', crop_size=256),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='mmpretrain.Resize', scale=256),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
