# Segmentation smoke run on real data, minutes on a CPU: DeepLabV3 (ASPP +
# FCN auxiliary head, output stride 16) with a small ResNet-18 (16 base
# channels, random initialisation) on 32x32 tiles of the real nuclei image of
# the PyPI package stardist, nucleus vs background. Prepare the tiles first:
#   pip download --no-deps stardist==0.9.2 -d /tmp/stardist
#   python tools/dataset_converters/prepare_stardist_nuclei.py \
#       --src /tmp/stardist
# then: python tools/train.py configs/seg/deeplabv3_r18-tiny_ce_stardist.py
# (prints MPA, FWIoU and MIoU on the 64 validation tiles).
# batch: 1 GPU x 16 = 16 (auto_scale_lr.base_batch_size)
_base_ = ['../_base_/models/deeplabv3_r50-d16.py', '../_base_/seg_runtime.py']

data_root = 'data/stardist_nuclei'
metainfo = dict(
    classes=('background', 'nucleus'), palette=[[0, 0, 0], [255, 0, 0]])
# merged into the base's: the Core-tuning config lists it again
fcn_aux_head = dict(in_channels=64, channels=16, num_classes=2)
model = dict(
    data_preprocessor=dict(mean=[128.0] * 3, std=[64.0] * 3, size=(32, 32)),
    backbone=dict(depth=18, stem_channels=16, base_channels=16, init_cfg=None),
    decode_head=dict(in_channels=128, channels=32, num_classes=2),
    auxiliary_head=fcn_aux_head)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
nuclei = dict(
    type='mmseg.BaseSegDataset',
    data_root=data_root,
    metainfo=metainfo,
    img_suffix='.png',
    seg_map_suffix='.png')
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        **nuclei,
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **nuclei,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SegMetrics')
test_evaluator = val_evaluator

auto_scale_lr = dict(base_batch_size=16)

max_iters = 1000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='PolyLR', eta_min=1e-4, power=0.9, end=max_iters, by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=max_iters))
