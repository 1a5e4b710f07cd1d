# CIFAR-10 with the paper's recipe (appendix C.2), the 32 px images
# upsampled: train random resized crop 224 + flip; test resize 256 + center
# crop 224. The authors' released script uses another recipe, defined here as
# released_*_pipeline and used by cifar10_released_recipe.py.
_base_ = ['./image_classification.py']

# mmctune's CIFAR10: mmpretrain's, offline by default (download=False) and
# naming missing or corrupt files (docs/data_preparation.md, CIFAR).
# CIFAR images are held in memory as RGB arrays: no file loading, no BGR->RGB
data_preprocessor = dict(num_classes=10, to_rgb=False)

train_pipeline = [
    dict(type='mmpretrain.RandomResizedCrop', scale=224),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='mmpretrain.Resize', scale=256),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    dict(type='mmpretrain.PackInputs'),
]

# released script: train resize 272, random rotation within +-15 degrees,
# random crop 256, flip; test resize 256
released_train_pipeline = [
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
released_test_pipeline = [
    dict(type='mmpretrain.Resize', scale=256),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(
    dataset=dict(
        type='CIFAR10',
        data_root='data/cifar10',
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type='CIFAR10',
        data_root='data/cifar10',
        split='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
