# Stanford Cars, 196 classes
_base_ = ['./image_classification.py']

data_preprocessor = dict(num_classes=196)
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        type='mmpretrain.StanfordCars',
        data_root='data/stanfordcars',
        split='train'))
val_dataloader = dict(
    dataset=dict(
        type='mmpretrain.StanfordCars',
        data_root='data/stanfordcars',
        split='test'))
test_dataloader = val_dataloader
