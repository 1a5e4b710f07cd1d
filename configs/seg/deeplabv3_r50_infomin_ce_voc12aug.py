# DeepLabV3 (ResNet-50, output stride 16) fine-tuned with cross-entropy on
# PASCAL VOC 2012 + SBD (train_aug), from InfoMin (PyContrast): the CE row of
# the Core-tuning paper's Table 7. 2 GPUs x 8 images, 30k iterations: bash
# tools/dist_train.sh CONFIG 2
# Convert the published checkpoint first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format pycontrast InfoMin_800.pth checkpoints/r50_infomin.pth
_base_ = [
    '../_base_/models/deeplabv3_r50-d16.py', '../_base_/datasets/voc12aug.py',
    '../_base_/schedules/seg_poly_30k.py', '../_base_/seg_runtime.py'
]

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/r50_infomin.pth',
            prefix=None)))
