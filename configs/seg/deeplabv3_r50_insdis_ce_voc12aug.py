# DeepLabV3 (ResNet-50, output stride 16) fine-tuned with cross-entropy on
# PASCAL VOC 2012 + SBD (train_aug), from InsDis (PyContrast): the CE row of
# the Core-tuning paper's Table 7. 2 GPUs x 8 images, 30k iterations: bash
# tools/dist_train.sh CONFIG 2
# Convert the published checkpoint first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format pycontrast InsDis.pth checkpoints/r50_insdis.pth
# batch: 1 GPU x 16 = 16 (auto_scale_lr.base_batch_size)
# (the paper: 2 GPUs x 8, which `bash tools/dist_train.sh CONFIG 2` runs)
_base_ = ['./deeplabv3_r50_moco_ce_voc12aug.py']

model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='checkpoints/r50_insdis.pth', prefix=None)))
