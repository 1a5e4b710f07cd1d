# ImageNet20: ImageNette + ImageWoof, 20 classes (docs/data_preparation.md)
_base_ = ['./image_classification.py']

data_preprocessor = dict(num_classes=20)
train_dataloader = dict(
    dataset=dict(
        type='ImageNet20', data_root='data/imagenet20', split='train'))
val_dataloader = dict(
    dataset=dict(type='ImageNet20', data_root='data/imagenet20', split='val'))
test_dataloader = val_dataloader
