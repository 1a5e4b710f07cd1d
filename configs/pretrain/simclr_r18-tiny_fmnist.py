# SimCLR pre-training of the demo's small ResNet on the Fashion-MNIST
# training images, labels unused: the contrastive pre-trained backbone that
# the built-in demo (tools/demo.py) then fine-tunes. mmpretrain's SimCLR
# model; views: random resized crop + flip + brightness (the images have one
# channel, so no colour jitter or greyscale).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet18-tiny_fmnist.py',
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='mmpretrain.SimCLR',
    data_preprocessor=dict(
        type='mmpretrain.SelfSupDataPreprocessor',
        mean=[72.94],
        std=[90.03],
        to_rgb=False),
    backbone={{_base_.model.backbone}},
    neck=dict(
        type='mmpretrain.NonLinearNeck',
        in_channels={{_base_.model.head.in_channels}},
        hid_channels=256,
        out_channels=64,
        num_layers=2,
        with_avg_pool=True),
    head=dict(
        type='mmpretrain.ContrastiveHead',
        loss=dict(type='mmpretrain.CrossEntropyLoss'),
        temperature=0.2),
)

view_pipeline = [
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=28,
        crop_ratio_range=(0.2, 1.0)),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(
        type='mmpretrain.Brightness',
        magnitude_range=(0, 0.4),
        magnitude_level=10,
        magnitude_std='inf',
        random_negative_prob=0.5,
        prob=0.8),
]
train_dataloader = dict(
    batch_size=256,
    drop_last=True,
    dataset=dict(pipeline=[
        dict(
            type='mmpretrain.MultiView',
            num_views=2,
            transforms=[view_pipeline]),
        dict(type='mmpretrain.PackInputs')
    ]))
# self-supervised: no labels, no validation
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.3, momentum=0.9, weight_decay=1e-4))
max_epochs = 1
param_scheduler = [
    # warm-up over the first 40 iterations, then cosine decay
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=256)

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=1, max_keep_ckpts=1, save_best=None))
