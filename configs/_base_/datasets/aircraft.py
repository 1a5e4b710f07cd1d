# FGVC Aircraft, 100 variants
_base_ = ['./image_classification.py']

data_preprocessor = dict(num_classes=100)
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        type='mmpretrain.FGVCAircraft',
        data_root='data/fgvc-aircraft-2013b',
        split='trainval'))
val_dataloader = dict(
    dataset=dict(
        type='mmpretrain.FGVCAircraft',
        data_root='data/fgvc-aircraft-2013b',
        split='test'))
test_dataloader = val_dataloader
