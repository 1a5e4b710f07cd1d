# SupCon, stage 1 of the supervised contrastive protocol of the TCL
# supplement ("Tuned Contrastive Learning", supplementary material, §2.1;
# CIFAR-10: SupCon 96.16 vs TCL 96.30 top-1 after stage 2): encoder +
# projector trained with the supervised contrastive loss for 100 epochs
# (every view of the anchor's class is a positive); stage 2 is
# configs/linear_probe/r50_supcon_cifar10.py. The supplement's values:
#   "100 epochs of contrastive training for the encoder and the projector";
#   "cosine annealing based learning rate scheduler and SGD optimizer with
#   momentum=0.9 and weight decay=1e-4 for both contrastive and linear layer
#   training. Temperature tau is set to 0.1"; CIFAR-10: "We use a batch size
#   of 128. For both SupCon and TCL we use a starting learning rate of 1e-1
#   for contrastive training"; AutoAugment
#   (../_base_/datasets/cifar10_32px_contrastive.py).
# Not stated, chosen (configs/provenance.yml lists the searches): ResNet-50
# with the CIFAR stem (3x3 convolution, no max-pool) and the projector
# 2048 -> 2048 -> 128 of SupCon's CIFAR code; no warm-up (the supplement names
# only cosine annealing); the cosine decays to 0 per iteration.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/datasets/cifar10_32px_contrastive.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ContrastiveLearner',
    data_preprocessor={{_base_.contrastive_data_preprocessor}},
    backbone=dict(type='mmpretrain.ResNet_CIFAR', depth=50, out_indices=(3, )),
    neck=dict(
        type='mmpretrain.NonLinearNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_layers=2,
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
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=128)
default_hooks = dict(
    checkpoint=dict(interval=10, max_keep_ckpts=1, save_best=None))
