# CIFAR-100: as CIFAR-10 (cifar10.py), 100 classes. The rescaling + rotation
# recipe of the released script, which trains CIFAR-10 and CIFAR-100 alike
# (supplement C.2 names "e.g. CIFAR10 and Aircraft"); the random-resized-crop
# recipe is cifar100_rrc.py.
_base_ = ['./cifar10.py']

data_preprocessor = dict(num_classes=100)
train_dataloader = dict(
    dataset=dict(type='CIFAR100', data_root='data/cifar100'))
val_dataloader = dict(
    dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
