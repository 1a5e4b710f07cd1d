# TCL, self-supervised (the TCL supplement, "Tuned Contrastive Learning",
# supplementary material, §2.3): SimCLR with the tuned contrastive loss in
# place of NT-Xent. Each view's positive is the other view of its image
# (ContrastiveLearner, positives='instance'); with SupConLoss in place of
# TCLLoss this is SimCLR. The supplement's values:
#   "ResNet-18 is the common encoder"; "The projector used for TCL is
#   exactly the same as SimCLR ... one hidden layer of size 2048 and output
#   size of 256"; "SGD optimizer with momentum=0.9 wrapped with LARS optimizer
#   [10] and weight decay of 1e-4"; "Gaussian blur is used for self-supervised
#   setting"; CIFAR-10: "1000 epochs of contrastive pre-training", "We use
#   batch size=256, same as SimCLR", "a starting learning rate of 4e-1 for
#   contrastive pre-training with k1 = 1 and k2 = 1.5".
# Not stated; the supplement "reuse[s] the code provided by [4]" (solo-learn),
# so these are solo-learn's SimCLR CIFAR recipe
# (scripts/pretrain/cifar/simclr.yaml, which also has lr 0.4, weight decay
# 1e-4, batch 256 and 1000 epochs): temperature 0.2; LARS eta 0.02 with
# biases and norm layers left out of LARS and of weight decay; 10 warm-up
# epochs, then cosine decay (its warmup_cosine); the projector Linear-ReLU-
# Linear with biases (solo-learn's SimCLR projector); ResNet-18 with the CIFAR
# stem; the views of ../_base_/datasets/cifar10_32px_contrastive.py.
# solo-learn's LARS also clips the adaptive rate (clip_lr), which
# mmpretrain's LARS does not do (configs/provenance.yml).
# Evaluate with configs/linear_probe/r50_supcon_cifar10.py's stage 2
# (depth=18, in_channels=512) or tools/analysis_tools/feature_eval.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/datasets/cifar10_32px_contrastive.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ContrastiveLearner',
    data_preprocessor={{_base_.contrastive_data_preprocessor}},
    backbone=dict(type='mmpretrain.ResNet_CIFAR', depth=18, out_indices=(3, )),
    # Linear(512, 2048), ReLU, Linear(2048, 256), with biases
    neck=dict(
        type='mmpretrain.MoCoV2Neck',
        in_channels=512,
        hid_channels=2048,
        out_channels=256,
        with_avg_pool=True),
    loss=dict(type='TCLLoss', temperature=0.2, k1=1.0, k2=1.5),
    positives='instance')

train_dataloader = {{_base_.selfsup_train_dataloader}}
# self-supervised pre-training: no classifier to validate or test
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

max_epochs = 1000
optim_wrapper = dict(
    optimizer=dict(
        type='mmpretrain.LARS',
        lr=0.4,
        momentum=0.9,
        weight_decay=1e-4,
        eta=0.02),
    # LARS leaves the biases and norm parameters out of its trust ratio and
    # of weight decay (solo-learn's exclude_bias_n_norm)
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 10,
        by_epoch=True,
        begin=10,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=256)
default_hooks = dict(
    checkpoint=dict(interval=50, max_keep_ckpts=1, save_best=None))
