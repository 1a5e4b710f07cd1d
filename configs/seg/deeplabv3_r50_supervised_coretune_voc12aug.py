# DeepLabV3 with Core-tuning's contrastive regulariser on PASCAL VOC 2012 +
# SBD, from supervised ImageNet (torchvision): beyond the paper, whose Table 7
# (and the supplement's Table 12) has the supervised pre-training's CE row
# only. The CE config (./deeplabv3_r50_supervised_ce_voc12aug.py)
# plus the regulariser on the average-pooled last backbone stage
# (ContrastiveSegHead): focal SupCon on hard pairs from hardness-directed
# mixup, image labels from the masks (the dominant non-background, non-ignore
# class; background-only images left out). eta, alpha: CIFAR10's.
# batch: 1 GPU x 16 = 16 (auto_scale_lr.base_batch_size)
# (the paper: 2 GPUs x 8, which `bash tools/dist_train.sh CONFIG 2` runs)
_base_ = ['./deeplabv3_r50_supervised_ce_voc12aug.py']

model = dict(auxiliary_head=[{{_base_.contrastive_reg_head}}])
