# CE-tuning on Fashion-MNIST of mmpretrain's MobileNetV2 (width 1.0,
# 1280-d features) with torchvision's supervised ImageNet weights
# (../_base_/models/mobilenet-v2_in1k_fmnist.py, which says how to convert
# them): the benchmark setting with strong pre-training (docs/benchmarks.md).
# Data, optimiser and schedule are the small-ResNet demo's
# (ce_r18-tiny_simclr_fmnist.py); the 28x28 images are resized to 32x32
# (../_base_/datasets/fashion_mnist_32px.py) and the learning rate is lower,
# as usual when fine-tuning ImageNet weights.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/mobilenet-v2_in1k_fmnist.py',
    '../_base_/datasets/fashion_mnist_32px.py',
    '../_base_/schedules/sgd_cosine_10e.py',
    '../_base_/default_runtime.py',
]

# the first 6,000 labelled training images, as the small-ResNet demo's
train_dataloader = dict(batch_size=128, dataset=dict(indices=6000))
# a lower learning rate than the demo's, as usual for ImageNet weights
optim_wrapper = dict(optimizer=dict(lr=0.01))
auto_scale_lr = dict(base_batch_size=128)

default_hooks = dict(logger=dict(interval=10))
