# CE-tuning on Fashion-MNIST of the demo's small ResNet, pre-trained with
# SimCLR on the unlabelled training images (configs/pretrain/
# simclr_r18-tiny_fmnist.py): the built-in real-data default (tools/demo.py).
# Fine-tunes on the first 6,000 labelled training images (10%; about 600 per
# class), tests on the 10,000 test images. SGD, lr 0.05, cosine, 10 epochs
# (../_base_/schedules/sgd_cosine_10e.py).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet18-tiny_simclr_fmnist.py',
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/sgd_cosine_10e.py',
    '../_base_/default_runtime.py',
]

# the first 6,000 labelled training images
train_dataloader = dict(batch_size=128, dataset=dict(indices=6000))
auto_scale_lr = dict(base_batch_size=128)

default_hooks = dict(logger=dict(interval=10))
