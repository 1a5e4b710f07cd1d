# SupCon, stage 1 of the supervised contrastive protocol of the TCL
# supplement: encoder + projector trained with the supervised contrastive
# loss for 100 epochs (every view of the anchor's class is a positive); stage
# 2 is configs/linear_probe/r50_supcon_cifar10.py. ResNet-50 with the CIFAR
# stem (3x3 convolution, no max-pool), projector 2048 -> 2048 -> 128,
# tau = 0.1, SGD lr 0.5 with cosine decay at batch 1024: SupCon's CIFAR
# recipe (Khosla et al. 2020, its released code); the TCL supplement gives
# only the epochs (docs/methods/pretraining.md says what was chosen).
# batch: 1 GPU x 1024 = 1024 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/datasets/cifar10_32px_contrastive.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ContrastiveLearner',
    data_preprocessor={{_base_.contrastive_data_preprocessor}},
    backbone=dict(type='mmpretrain.ResNet_CIFAR', depth=50,
                  out_indices=(3, )),
    neck=dict(type='mmpretrain.NonLinearNeck', in_channels=2048,
              hid_channels=2048, out_channels=128, num_layers=2,
              with_avg_pool=True),
    loss=dict(type='SupConLoss', temperature=0.1),
    positives='class')

train_dataloader = {{_base_.contrastive_train_dataloader}}
# contrastive pre-training: no classifier to validate or test
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

max_epochs = 100
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    # SupCon's warm-up for its large batch: 10 epochs
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 10, by_epoch=True,
         begin=10, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=1024)
default_hooks = dict(
    checkpoint=dict(interval=10, max_keep_ckpts=1, save_best=None))
