# iNaturalist 2018, 8,142 species
_base_ = ['./image_classification.py']

data_preprocessor = dict(num_classes=8142)
train_dataloader = dict(
    batch_size=128,
    dataset=dict(
        type='INaturalist2018', data_root='data/inat2018', split='train'))
val_dataloader = dict(
    dataset=dict(
        type='INaturalist2018', data_root='data/inat2018', split='val'))
test_dataloader = val_dataloader
