# DeepLabV3 (ResNet-50, output stride 16) fine-tuned with cross-entropy on
# PASCAL VOC 2012 + SBD (train_aug), from MoCo v2 (800 epochs; the published
# checkpoint by URL, the model base's default): the CE row of the Core-tuning
# paper's Table 7. 2 GPUs x 8 images, 30k iterations: bash tools/dist_train.sh
# CONFIG 2
# The paper's setting (§5.2): the ASPP head alone (no FCN auxiliary head);
# training on random 513x513 crops of rescaled images with flips, evaluation
# on the 513x513 centre crop (../_base_/datasets/voc12aug.py); "30k steps via
# SGD", lr 0.1, poly decay, "Other parameters are the same as image
# classification": momentum 0.9, weight decay 1e-4, no Nesterov
# (../_base_/schedules/seg_poly_30k.py). The CE configs of the other
# pre-trainings list the same bases and change the weights; each Core-tuning
# config inherits its pre-training's CE config. mmseg's recipe (FCN
# auxiliary head, photometric distortion, whole-image evaluation):
# ./deeplabv3_r50_moco_ce_voc12aug_mmseg-recipe.py
# batch: 1 GPU x 16 = 16 (auto_scale_lr.base_batch_size)
# (the paper: 2 GPUs x 8, which `bash tools/dist_train.sh CONFIG 2` runs)
_base_ = [
    '../_base_/models/deeplabv3_r50-d16.py', '../_base_/datasets/voc12aug.py',
    '../_base_/schedules/seg_poly_30k.py', '../_base_/seg_runtime.py'
]

model = dict(auxiliary_head=None)
