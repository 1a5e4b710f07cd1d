# Stage 2 of the supervised contrastive protocol (the TCL supplement, §2.1):
# a linear classifier on the frozen encoder of stage 1
# (configs/pretrain/supcon_r50_cifar10.py; its checkpoint in its default
# work dir), 32x32 images. The supplement's values: "50 epochs of
# cross-entropy training for the linear layer"; "cosine annealing based
# learning rate scheduler and SGD optimizer with momentum=0.9 and weight
# decay=1e-4 for both contrastive and linear layer training"; "For linear
# layer training, the starting learning rate is 5e-1"; CIFAR-10's batch 128
# and AutoAugment (../_base_/datasets/cifar10_32px_contrastive.py).
#   python tools/train.py configs/pretrain/supcon_r50_cifar10.py
#   python tools/train.py configs/linear_probe/r50_supcon_cifar10.py
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/datasets/cifar10_32px_contrastive.py',
    '../_base_/default_runtime.py',
]

checkpoint = 'work_dirs/pretrain/supcon_r50_cifar10/epoch_100.pth'
model = dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(
        type='mmpretrain.ResNet_CIFAR',
        depth=50,
        out_indices=(3, ),
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='mmpretrain.LinearClsHead',
        num_classes=10,
        in_channels=2048,
        loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

train_dataloader = {{_base_.linear_train_dataloader}}
val_dataloader = {{_base_.test_dataloader}}
val_evaluator = {{_base_.test_evaluator}}
val_cfg = dict()
test_cfg = dict()

max_epochs = 50
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(
    type='CosineAnnealingLR',
    T_max=max_epochs,
    by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
auto_scale_lr = dict(base_batch_size=128)
