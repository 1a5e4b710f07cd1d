# PASCAL VOC 2012 with the SBD augmented training set (train_aug, 10,582
# images), mmseg's dataset class; see docs/data_preparation.md.
# The Core-tuning paper's §5.2 (Table 7): images "rescaled to 513x513 with
# random crop and flips for training and with center crop for evaluation".
# - training: random rescale (the short side to 513 x r, r in 0.5-2.0: the
#   range of DeepLabV3, Chen et al. 2017, §4, which the paper does not
#   give), random crop 513x513 (padded with the ignore index 255 where the
#   rescaled image is smaller), horizontal flip;
# - evaluation: the short side rescaled to 513 (the long side capped at
#   2052), then the 513x513 centre crop of the image and of its label
#   (SegCenterCrop: padded, label with 255, where a side is still shorter),
#   scored on that crop.
# mmseg's VOC recipe adds a photometric distortion and crops re-drawn until
# no class covers over 75% of them (cat_max_ratio); the paper lists
# neither, so they are off here. train_pipeline_mmseg and
# test_pipeline_mmseg below keep mmseg's recipe for
# configs/seg/*_voc12aug_mmseg-recipe.py.
dataset_type = 'mmseg.PascalVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (513, 513)
# the short side to 513 (keep_ratio fits the image in 2052 x 513)
scale = (2052, 513)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(
        type='mmseg.RandomResize',
        scale=scale,
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.Pad', size=crop_size),
    dict(type='mmseg.PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    # before the resize, so that the label is resized (nearest) and cropped
    # with the image
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.Resize', scale=scale, keep_ratio=True),
    dict(type='SegCenterCrop', crop_size=crop_size, seg_pad_val=255),
    dict(type='mmseg.PackSegInputs')
]
# mmseg's VOC recipe: + PhotoMetricDistortion, cat_max_ratio=0.75; the
# whole image evaluated, the prediction resized back to the original size
train_pipeline_mmseg = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(
        type='mmseg.RandomResize',
        scale=scale,
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PhotoMetricDistortion'),
    dict(type='mmseg.Pad', size=crop_size),
    dict(type='mmseg.PackSegInputs')
]
test_pipeline_mmseg = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=scale, keep_ratio=True),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs')
]
dataset_train = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    ann_file='ImageSets/Segmentation/train.txt',
    pipeline=train_pipeline)
dataset_aug = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix=dict(
        img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
    ann_file='ImageSets/Segmentation/aug.txt',
    pipeline=train_pipeline)
train_dataloader = dict(
    # the paper's total batch (Table 7: 2 GPUs x 8) for one GPU; on N GPUs
    # tools/train.py runs 16 / N per GPU
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='ConcatDataset', datasets=[dataset_train, dataset_aug]))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SegMetrics')
test_evaluator = val_evaluator
