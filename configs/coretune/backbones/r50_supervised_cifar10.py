# Core-tuning on CIFAR10 with the supervised (ImageNet) ResNet-50 of
# torchvision (the paper's SL rows).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint='torchvision://resnet50',
            prefix=None)))
