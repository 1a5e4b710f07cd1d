# Oxford-IIIT Pets, 37 breeds
_base_ = ['./image_classification.py']

data_preprocessor = dict(num_classes=37)
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        type='mmpretrain.OxfordIIITPet',
        data_root='data/Oxford-IIIT_Pets',
        split='trainval'))
val_dataloader = dict(
    dataset=dict(
        type='mmpretrain.OxfordIIITPet',
        data_root='data/Oxford-IIIT_Pets',
        split='test'))
test_dataloader = val_dataloader
