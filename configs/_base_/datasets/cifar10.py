# CIFAR-10 with the Core-tuning paper's recipe for it. Supplement C.2: "for
# some datasets (e.g., CIFAR10 and Aircraft), we resize images to different
# scales and use rotation augmentations". The values are those of the
# authors' released script (github.com/Vanint/Core-tuning, Core-tuning.py,
# its CIFAR-10/100 training), transform by transform:
#   train  transforms.Resize((272, 272), interpolation=BICUBIC)
#          transforms.RandomRotation(15)     angle uniform in [-15, 15] deg,
#                                            nearest, black corners
#          transforms.RandomCrop(256)
#          transforms.RandomHorizontalFlip()
#   test   transforms.Resize(256, interpolation=BICUBIC)    no crop
# Resizing uses Pillow, as torchvision does. Normalisation is ImageNet's
# (image_classification.py), the statistics the MoCo v2 backbone was
# pre-trained with, not the script's CIFAR mean / std
# (docs/data_preparation.md, "Pipelines"). CIFAR-100 (cifar100.py) takes the
# same recipe: the released script trains both with it.
# The random-resized-crop recipe (224 + flip; test 256x256, centre crop 224)
# is cifar10_rrc.py, defined here once as rrc_*_pipeline.
_base_ = ['./image_classification.py', './rescale_rotate.py']

# mmctune's CIFAR10: mmpretrain's, offline by default (download=False) and
# naming missing or corrupt files (docs/data_preparation.md, CIFAR).
# CIFAR images are held in memory as RGB arrays: no file loading, no BGR->RGB
data_preprocessor = dict(num_classes=10, to_rgb=False)

# train: the rescaling + rotation recipe (rescale_rotate.py, which also
# gives rescale_rotate_transforms to configs that build their own views)
train_pipeline = {{_base_.rescale_rotate_array_pipeline}}
test_pipeline = [
    dict(
        type='mmpretrain.Resize',
        scale=(256, 256),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='mmpretrain.PackInputs'),
]

# the alternative (cifar10_rrc.py): the 32 px images upsampled by random
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
