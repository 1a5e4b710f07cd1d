# DR-Tune of MoCo v2 ResNet-50 on CIFAR-10 with the official code's recipe
# (weeknan/DR-Tune configs/cifar10_k2048_lr001.yaml and loader.py): batch 64,
# SGD + Nesterov, momentum 0.9, weight decay 1e-4, cosine, 100 epochs,
# backbone lr 0.01 and head lr 0.33 (lr_mult 33), queue K = 2048; train
# random resized crop 224 (scale 0.4 to 1) + horizontal flip, test resize
# 256x256 + centre crop 224 (the test pipeline of ../_base_/datasets/
# cifar10_rrc.py). The rest is CE-tuning's config
# (../baselines/ce_r50_moco_cifar10.py).
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cifar10.py', '../_base_/methods/drtune.py']

model = dict(_base_.drtune_model)
custom_hooks = [_base_.drtune_queue_hook]
optim_wrapper = dict(
    optimizer=dict(lr=0.01), paramwise_cfg=_base_.drtune_paramwise_cfg)
train_pipeline = [
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.4, 1.0)),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.rrc_test_pipeline))
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=64)
