# HCSC pre-training (Guo et al., CVPR 2022) of ResNet-50 on ImageNet-1k, the
# paper's single-crop 200-epoch setting in the official run's layout: 8 GPUs
# x 32 images (the official configs/single_crop_200eps_bs256.yaml of
# github.com/gyfastas/HCSC and its DistributedDataParallel launch: batch 256
# split over 8 GPUs, SGD lr 0.03 momentum 0.9 weight decay 1e-4, cosine to 0,
# 200 epochs, m 0.999, queue 16384, dim 128, tau 0.2, MLP projector, MoCo v2
# augmentation, prototypes 3000-2000-1000, clustering from epoch 20).
# Shuffle-BN: each GPU's BN normalises its own 32 queries, and the key batch
# is shuffled across the 8 GPUs before the key encoder (HCSC.key_features),
# so a key's BN statistics come from other images than its query's: it is
# what keeps BN from telling the key encoder which key is the positive. It
# needs the 8 processes:
#   bash tools/dist_train.sh configs/pretrain/hcsc_r50_8xb32-200e_in1k.py 8
# On one GPU use ./hcsc_r50_1xb256-splitbn8-200e_in1k.py, which emulates it;
# this config run on one process keeps its 32 per GPU (a batch of 32, and
# tools/train.py says so).
# The checkpoint keeps the query encoder under `backbone.`, as mmpretrain's
# MoCo: fine-tuning configs load it with prefix='backbone.'.
# The model, data and schedule: ../_base_/models/hcsc_r50.py,
# ../_base_/datasets/imagenet_hcsc.py,
# ../_base_/schedules/sgd_cosine_200e_hcsc.py.
# batch: 8 GPUs x 32 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/hcsc_r50.py',
    '../_base_/datasets/imagenet_hcsc.py',
    '../_base_/schedules/sgd_cosine_200e_hcsc.py',
    '../_base_/default_runtime.py',
]

custom_hooks = [
    dict(
        type='HierarchicalKMeansHook',
        num_clusters=(3000, 2000, 1000),
        warmup_epochs=20,
        pipeline={{_base_.cluster_pipeline}},
        # the official eval loader's batch: 5 x the batch per GPU
        batch_size=160,
        num_workers=8)
]

default_hooks = dict(
    logger=dict(interval=50),
    # the official code saves every 5 epochs
    checkpoint=dict(interval=5, max_keep_ckpts=3, save_best=None))
