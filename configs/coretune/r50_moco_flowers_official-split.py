# Core-tuning of MoCo v2 ResNet-50 on Oxford Flowers in the official split of
# the release (trainval 2,040 / test 6,149 images, mmpretrain's Flowers102)
# instead of the Kaggle split the paper uses (Tables 1, 2: 6,552 / 818):
# ./r50_moco_flowers.py with the datasets of
# ../_base_/datasets/flowers_official_split.py, as
# ../baselines/ce_r50_moco_flowers_official-split.py.
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['./r50_moco_flowers.py']

train_dataloader = dict(dataset={{_base_.official_train_dataset}})
val_dataloader = dict(dataset={{_base_.official_test_dataset}})
test_dataloader = val_dataloader
