# CIFAR10 with the augmentation of the authors' released Core-tuning script
# instead of the paper's (see cifar10.py).
_base_ = ['./cifar10.py']

train_dataloader = dict(
    dataset=dict(pipeline={{_base_.released_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.released_test_pipeline}}))
test_dataloader = val_dataloader
