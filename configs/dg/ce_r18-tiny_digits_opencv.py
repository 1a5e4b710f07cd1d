# Domain-generalisation smoke run on real data, minutes on a CPU: two real
# domains of the same ten digits. Trains on scikit-learn's 8x8 digits (80%),
# selects on their held-out 20% (training-domain validation), tests on
# OpenCV's 20x20 handwritten digits, unseen in training and selection. The
# demo's small ResNet (random initialisation), 28x28 grey inputs; Adam with
# exponential decay as the paper's DG recipe, lr for training from scratch.
# Prepare the data first:
#   apt-get install opencv-doc
#   python tools/dataset_converters/prepare_digits_dg.py
# then: python tools/train.py configs/dg/ce_r18-tiny_digits_opencv.py
# (logs per-domain top-1; the target's under both selections at the end).
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet18-tiny_fmnist.py',
    '../_base_/datasets/domain_generalization.py',
    '../_base_/dg_runtime.py',
]

# mean / std of the training images at 28x28 (0.305, 0.325 in [0, 1])
data_preprocessor = dict(num_classes=10, mean=[77.9], std=[82.8], to_rgb=False)

load = dict(type='LoadImageFromFile', color_type='grayscale')
train_pipeline = [
    load,
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=28,
        crop_ratio_range=(0.7, 1.0)),
    {{_base_.pack_dg}},
]
test_pipeline = [
    load,
    dict(type='mmpretrain.Resize', scale=(28, 28)),
    {{_base_.pack_dg}},
]
digits = dict(
    type='MultiDomainDataset',
    data_root='data/digits_dg',
    domains=('sklearn', 'opencv'),
    target_domain='opencv')
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(
    **loader, batch_size=64, dataset=dict(**digits, pipeline=train_pipeline))
val_dataloader = dict(
    **loader, batch_size=500, dataset=dict(**digits, pipeline=test_pipeline))
test_dataloader = dict(
    **loader, batch_size=500, dataset=dict(**digits, pipeline=test_pipeline))

auto_scale_lr = dict(base_batch_size=64)

max_iters = 1500
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0))
param_scheduler = dict(
    type='ExponentialLR',
    gamma=0.1**(1 / max_iters),
    by_epoch=False,
    end=max_iters)  # the span: a shorter run keeps the decay to a tenth
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=250)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=250))
custom_hooks = [dict(type='TargetDomainTestHook', method='CE-tuning')]
