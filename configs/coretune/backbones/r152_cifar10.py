# Core-tuning on CIFAR10 with a ResNet-152 (the paper's Table 3).
# The backbone's pre-trained weights: a checkpoint converted with
#   python tools/model_converters/convert_ssl_checkpoint.py --format FORMAT \
#       SRC checkpoints/r152.pth
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(
    backbone=dict(
        depth=152,
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/r152.pth',
            prefix=None)))
