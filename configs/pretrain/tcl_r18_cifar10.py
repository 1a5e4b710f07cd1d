# TCL, self-supervised (the TCL supplement): SimCLR with the tuned
# contrastive loss in place of NT-Xent, k1 = 1, k2 = 1.5 for CIFAR, a
# ResNet-18 and LARS, as the supplement states. Each view's positive is the
# other view of its image (ContrastiveLearner, positives='instance'); with
# SupConLoss in place of TCLLoss this is SimCLR.
# Chosen where the supplement is silent (docs/methods/pretraining.md):
# SimCLR's CIFAR-10 recipe -- ResNet-18 with the CIFAR stem, projector
# 512 -> 2048 -> 256, tau = 0.5, batch 512, LARS at lr 0.3 x 512 / 256 with
# weight decay 1e-6, 10 warm-up epochs then cosine decay, 500 epochs -- and
# SupCon's CIFAR augmentation (_base_/datasets/cifar10_32px_contrastive.py).
# Evaluate with configs/linear_probe/r50_supcon_cifar10.py's stage 2
# (depth=18, in_channels=512) or tools/analysis_tools/feature_eval.py.
# batch: 1 GPU x 512 = 512 (auto_scale_lr.base_batch_size)
_base_ = ['./supcon_r50_cifar10.py']

model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=2048, out_channels=256),
    loss=dict(_delete_=True, type='TCLLoss', temperature=0.5, k1=1.0,
              k2=1.5),
    positives='instance')
train_dataloader = dict(batch_size=512)

max_epochs = 500
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True, type='mmpretrain.LARS', lr=0.6, momentum=0.9,
        weight_decay=1e-6),
    # LARS leaves the biases and BN parameters out of its trust ratio and
    # weight decay, as in SimCLR
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 10, by_epoch=True,
         begin=10, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=512)
default_hooks = dict(checkpoint=dict(interval=50))
