# Core-tuning on CIFAR10 with ResNet-50 from BYOL (the paper's appendix D).
# Convert the published checkpoint first:
#   python tools/model_converters/convert_ssl_checkpoint.py --format byol \
#       pretrain_res50x1.pth checkpoints/r50_byol.pth
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/r50_byol.pth',
            prefix=None)))
