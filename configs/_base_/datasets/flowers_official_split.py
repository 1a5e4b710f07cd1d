# Oxford 102 Flowers in the official split of its release (mmpretrain's
# Flowers102: trainval 2,040 / test 6,149 images) instead of the Kaggle split
# the Core-tuning paper uses (flowers.py: 6,552 / 818). Pipelines as there.
_base_ = ['./flowers.py']

train_dataloader = dict(dataset={{_base_.official_train_dataset}})
val_dataloader = dict(dataset={{_base_.official_test_dataset}})
test_dataloader = val_dataloader
