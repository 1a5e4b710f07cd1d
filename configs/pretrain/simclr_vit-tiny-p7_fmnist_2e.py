# SimCLR pre-training of the ViT-Tiny miniature (../_base_/models/
# vit-tiny-p7_fmnist.py) on the 60,000 Fashion-MNIST training images, labels
# unused: the benchmarks' SimCLR recipe (simclr_r18-tiny_fmnist.py and its
# _4e: batch 256, the same views, tau = 0.2) with the ViT's class token as
# the feature, for 2 epochs instead of 4 (468 steps: a ViT-Tiny step costs
# over twice the small ResNet's on the 2-core CPU the benchmarks run on,
# docs/benchmarks.md sections 3 and 7). The
# optimiser is a ViT one (SimCLR trains ResNets with LARS; MoCo v3, Chen et
# al., ICCV 2021, trains ViTs with AdamW): AdamW, lr 5e-4 at batch 256,
# weight decay 0.05 (DeiT's), none on norms, biases, the position embedding
# and the class token, a 40-step warm-up then cosine to zero. Chosen for a
# 468-step run, not tuned (docs/benchmarks.md section 7).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./simclr_r18-tiny_fmnist.py']

max_epochs = 2

# the backbone of ../_base_/models/vit-tiny-p7_fmnist.py
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch='deit-tiny',
        img_size=28,
        patch_size=7,
        in_channels=1,
        out_type='cls_token'),
    neck=dict(in_channels=192, with_avg_pool=False))

optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=5e-4,
        betas=(0.9, 0.999),
        weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.pos_embed': dict(decay_mult=0.0),
            '.cls_token': dict(decay_mult=0.0)
        }))
param_scheduler = [
    # warm-up over the first 40 iterations, then cosine decay to zero
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
