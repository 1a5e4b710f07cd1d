# DeepLabV3 CE-tuning on PASCAL VOC 2012 + SBD from MoCo v2, with mmseg's
# VOC recipe instead of the paper's (./deeplabv3_r50_moco_ce_voc12aug.py):
# the FCN auxiliary head on stage 3 (loss weight 0.4), a photometric
# distortion and crops re-drawn until no class covers over 75% of them in
# training, and evaluation on the whole image (short side at 513, the
# prediction resized back to the original size). Neither is in the
# Core-tuning paper; this is the alternative for comparison with mmseg's
# results. Model, schedule and batch as the paper's configs.
# batch: 1 GPU x 16 = 16 (auto_scale_lr.base_batch_size)
# (the paper: 2 GPUs x 8, which `bash tools/dist_train.sh CONFIG 2` runs)
_base_ = [
    '../_base_/models/deeplabv3_r50-d16.py', '../_base_/datasets/voc12aug.py',
    '../_base_/schedules/seg_poly_30k.py', '../_base_/seg_runtime.py'
]

voc = dict(
    type='mmseg.PascalVOCDataset',
    data_root='data/VOCdevkit/VOC2012',
    pipeline={{_base_.train_pipeline_mmseg}})
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(
            **voc,
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'),
            ann_file='ImageSets/Segmentation/train.txt'),
        dict(
            **voc,
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
            ann_file='ImageSets/Segmentation/aug.txt'),
    ]))
val_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline_mmseg}}))
test_dataloader = val_dataloader
