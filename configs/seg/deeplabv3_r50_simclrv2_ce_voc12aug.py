# DeepLabV3 (ResNet-50, output stride 16) fine-tuned with cross-entropy on
# PASCAL VOC 2012 + SBD (train_aug), from SimCLR v2: the CE row of the Core-
# tuning supplement's Table 12 (Table 7 with standard errors and this
# pre-training, which Table 7 does not have). 2 GPUs x 8 images, 30k
# iterations: bash tools/dist_train.sh CONFIG 2
# Convert the published checkpoint first:
#   python tools/model_converters/convert_ssl_checkpoint.py \
#       --format simclr-v2 r50_1x_sk0.pth checkpoints/r50_simclrv2.pth
# The settings of ./deeplabv3_r50_moco_ce_voc12aug.py (the same bases, no
# auxiliary head) with these weights; the Core-tuning config of this
# pre-training inherits this one.
# batch: 1 GPU x 16 = 16 (auto_scale_lr.base_batch_size)
# (the paper: 2 GPUs x 8, which `bash tools/dist_train.sh CONFIG 2` runs)
_base_ = [
    '../_base_/models/deeplabv3_r50-d16.py', '../_base_/datasets/voc12aug.py',
    '../_base_/schedules/seg_poly_30k.py', '../_base_/seg_runtime.py'
]

model = dict(
    auxiliary_head=None,
    backbone=dict(
        init_cfg=dict(checkpoint='checkpoints/r50_simclrv2.pth', prefix=None)))
