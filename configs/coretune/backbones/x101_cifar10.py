# Core-tuning on CIFAR10 with a ResNeXt-101 (32x4d) (the paper's Table 3).
# The backbone's pre-trained weights: a checkpoint with mmpretrain ResNeXt
# keys in checkpoints/x101.pth.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ResNeXt',
        depth=101,
        groups=32,
        width_per_group=4,
        out_indices=(3, ),
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/x101.pth')))
