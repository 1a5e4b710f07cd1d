# Oxford 102 Flowers in the Core-tuning paper's split (Tables 1, 2): the
# Kaggle split "oxford-102-flower-pytorch", 6,552 training and 818 test
# images (its valid/ folder is the paper's test set), read by mmctune's
# Flowers102Kaggle from the unpacked folders (docs/data_preparation.md,
# "Oxford 102 Flowers"). The official split (trainval 2,040 / test 6,149,
# mmpretrain's Flowers102) is flowers_official_split.py, defined here once as
# official_*_dataset.
_base_ = ['./image_classification.py']

official_train_dataset = dict(
    type='mmpretrain.Flowers102',
    data_root='data/Flowers102',
    split='trainval')
official_test_dataset = dict(
    type='mmpretrain.Flowers102', data_root='data/Flowers102', split='test')

data_preprocessor = dict(num_classes=102)
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        type='Flowers102Kaggle',
        data_root='data/oxford-102-flower-pytorch/flower_data',
        split='train'))
val_dataloader = dict(
    dataset=dict(
        type='Flowers102Kaggle',
        data_root='data/oxford-102-flower-pytorch/flower_data',
        split='valid'))
test_dataloader = val_dataloader
