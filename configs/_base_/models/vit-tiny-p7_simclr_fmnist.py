# The ViT-Tiny miniature (vit-tiny-p7_fmnist.py) initialised from its SimCLR
# pre-training on the unlabelled Fashion-MNIST training images
# (configs/pretrain/simclr_vit-tiny-p7_fmnist_2e.py), as the ViT
# fine-tuning configs load it.
_base_ = ['./vit-tiny-p7_fmnist.py']

# written by
#   python tools/train.py configs/pretrain/simclr_vit-tiny-p7_fmnist_2e.py
pretrained = 'work_dirs/pretrain/simclr_vit-tiny-p7_fmnist_2e/epoch_2.pth'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')))
