# Caltech-101 with mmpretrain's split files (meta/train.txt, meta/test.txt)
_base_ = ['./image_classification.py']

data_preprocessor = dict(num_classes=102)
train_dataloader = dict(
    dataset=dict(
        type='mmpretrain.Caltech101',
        data_root='data/caltech-101',
        split='train'))
val_dataloader = dict(
    dataset=dict(
        type='mmpretrain.Caltech101',
        data_root='data/caltech-101',
        split='test'))
test_dataloader = val_dataloader
