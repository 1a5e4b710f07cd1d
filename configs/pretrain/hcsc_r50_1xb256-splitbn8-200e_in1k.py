# HCSC pre-training of ResNet-50 on ImageNet-1k on ONE GPU, emulating the
# official 8-GPU layout (./hcsc_r50_8xb32-200e_in1k.py, the paper's setting:
# every other value is that config's, from the same bases). On one GPU the
# key batch shuffle of shuffle-BN stays inside one BN batch and does nothing,
# so BN could leak which key is the positive. Here every BN of the backbone
# computes its training statistics over 8 groups of 32 (SplitBatchNorm2d, as
# MoCo's one-GPU demo does): the queries are normalised in 8 groups, as the 8
# GPUs normalise their shares, and the keys, shuffled before the key encoder
# and put back in order after it (HCSC.key_features), in 8 other groups. The
# state dict is plain BN's: the checkpoint loads into any fine-tuning config.
# For one GPU only: launched on N processes, tools/train.py keeps the total
# 256 (256 / N per GPU) and each GPU would still split its share in 8.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/hcsc_r50.py',
    '../_base_/datasets/imagenet_hcsc.py',
    '../_base_/schedules/sgd_cosine_200e_hcsc.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(norm_cfg=dict(type='SplitBatchNorm2d', num_splits=8)))
train_dataloader = dict(batch_size=256)
custom_hooks = [
    dict(
        type='HierarchicalKMeansHook',
        num_clusters=(3000, 2000, 1000),
        warmup_epochs=20,
        pipeline={{_base_.cluster_pipeline}},
        # the official eval loader's batch: 5 x the batch per GPU
        batch_size=1280,
        num_workers=8)
]

default_hooks = dict(
    logger=dict(interval=50),
    # the official code saves every 5 epochs
    checkpoint=dict(interval=5, max_keep_ckpts=3, save_best=None))
