# Oxford 102 Flowers
_base_ = ['./image_classification.py']

data_preprocessor = dict(num_classes=102)
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        type='mmpretrain.Flowers102',
        data_root='data/Flowers102',
        split='trainval'))
val_dataloader = dict(
    dataset=dict(
        type='mmpretrain.Flowers102',
        data_root='data/Flowers102',
        split='test'))
test_dataloader = val_dataloader
