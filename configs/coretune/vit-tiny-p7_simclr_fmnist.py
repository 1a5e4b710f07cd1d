# Core-tuning on the ViT-Tiny miniature's class token: CE-tuning's settings
# (../baselines/ce_vit-tiny-p7_simclr_fmnist.py) with the focal contrastive
# loss on hard pairs from hardness-directed mixup and the smooth classifier,
# eta and alpha as r18-tiny_simclr_fmnist.py (the paper's CIFAR10: 0.1, 1).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/vit-tiny-p7_simclr_fmnist.py',
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/adamw_cosine_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(
        con_loss=dict(
            type='FocalSupConLoss', temperature=0.07, loss_weight=0.1),
        miner=dict(type='HardnessDirectedMixup', alpha=1.0),
        gather_distributed=True))

# the first 6,000 labelled training images
train_dataloader = dict(batch_size=128, dataset=dict(indices=6000))

default_hooks = dict(logger=dict(interval=10))
