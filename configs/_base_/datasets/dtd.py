# Describable Textures, split 1
_base_ = ['./image_classification.py']

data_preprocessor = dict(num_classes=47)
train_dataloader = dict(
    dataset=dict(
        type='mmpretrain.DTD', data_root='data/dtd', split='trainval'))
val_dataloader = dict(
    dataset=dict(type='mmpretrain.DTD', data_root='data/dtd', split='test'))
test_dataloader = val_dataloader
