# CIFAR-100: as CIFAR-10 (cifar10.py), 100 classes.
_base_ = ['./cifar10.py']

data_preprocessor = dict(num_classes=100)
train_dataloader = dict(
    dataset=dict(type='CIFAR100', data_root='data/cifar100'))
val_dataloader = dict(
    dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
