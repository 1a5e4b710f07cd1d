# CIFAR-100: as CIFAR-10 (cifar10.py, which traces each value), 100 classes.
# The rescaling + rotation recipe of the released script, which trains
# CIFAR-10 and CIFAR-100 alike (supplement C.2 names "e.g. CIFAR10 and
# Aircraft"); the random-resized-crop recipe is cifar100_rrc.py, defined
# here as rrc_*_pipeline. cifar10.py's pipelines are repeated here rather
# than inherited, so that no chain of bases is more than two files deep
# (docs/configs.md); tests/test_configs/test_dataset_pipelines.py checks that
# the two datasets' pipelines are the same.
_base_ = ['./image_classification.py', './rescale_rotate.py']

# mmctune's CIFAR100: mmpretrain's, offline by default (download=False).
# CIFAR images are held in memory as RGB arrays: no file loading, no BGR->RGB
data_preprocessor = dict(num_classes=100, to_rgb=False)

train_pipeline = {{_base_.rescale_rotate_array_pipeline}}
test_pipeline = [
    dict(
        type='mmpretrain.Resize',
        scale=(256, 256),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='mmpretrain.PackInputs'),
]

# the alternative (cifar100_rrc.py): the 32 px images upsampled by random
# resized crop 224 + flip; test C.2's 256x256 and centre crop 224
rrc_train_pipeline = [
    dict(type='mmpretrain.RandomResizedCrop', scale=224),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
rrc_test_pipeline = [
    dict(type='mmpretrain.Resize', scale=(256, 256)),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(
    dataset=dict(
        type='CIFAR100',
        data_root='data/cifar100',
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type='CIFAR100',
        data_root='data/cifar100',
        split='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
