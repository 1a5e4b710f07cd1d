# The rescaling + rotation recipe of the Core-tuning paper's supplement C.2
# ("for some datasets (e.g., CIFAR10 and Aircraft), we resize images to
# different scales and use rotation augmentations"), with the values of the
# authors' released script (cifar10.py traces each): resize both sides to
# 272x272 (bicubic, Pillow), rotate by an angle uniform in [-15, 15] degrees
# (nearest, black corners), random crop 256, horizontal flip. Written once
# for cifar10.py / cifar100.py (in-memory arrays), aircraft.py (files) and
# configs that build their own views (mmpretrain.MultiView).
rescale_rotate_transforms = [
    dict(
        type='mmpretrain.Resize',
        scale=(272, 272),
        backend='pillow',
        interpolation='bicubic'),
    dict(
        type='mmpretrain.Rotate',  # angle uniform in [-15, 15], black fill
        magnitude_range=(0, 15),
        magnitude_level=10,
        magnitude_std='inf',
        random_negative_prob=0.5,
        interpolation='nearest',
        pad_val=0,
        prob=1.0),
    dict(type='mmpretrain.RandomCrop', crop_size=256),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
]
# for a dataset of in-memory arrays (CIFAR) and for one of image files
rescale_rotate_array_pipeline = rescale_rotate_transforms + [
    dict(type='mmpretrain.PackInputs')
]
rescale_rotate_file_pipeline = [dict(type='LoadImageFromFile')] + \
    rescale_rotate_transforms + [dict(type='mmpretrain.PackInputs')]
