# CE-tuning on Fashion-MNIST of the demo's small ResNet, pre-trained with
# SimCLR on the unlabelled training images (configs/pretrain/
# simclr_r18-tiny_fmnist.py): the built-in real-data default (tools/demo.py).
# Fine-tunes on the first 6,000 labelled training images (10%; about 600 per
# class), tests on the 10,000 test images.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet18-tiny_fmnist.py',
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/default_runtime.py',
]

# written by `python tools/train.py configs/pretrain/simclr_r18-tiny_fmnist.py`
# (tools/demo.py passes its cached pre-training instead)
pretrained = 'work_dirs/pretrain/simclr_r18-tiny_fmnist/epoch_1.pth'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')))

train_dataloader = dict(batch_size=128, dataset=dict(indices=6000))

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4, nesterov=True))
max_epochs = 10
param_scheduler = dict(
    type='CosineAnnealingLR',
    T_max=max_epochs,
    by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)

default_hooks = dict(logger=dict(interval=10))
