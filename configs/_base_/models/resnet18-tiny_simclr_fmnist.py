# The demo's small ResNet (resnet18-tiny_fmnist.py) initialised from the
# demo's SimCLR pre-training on the unlabelled Fashion-MNIST training images
# (configs/pretrain/simclr_r18-tiny_fmnist.py), as the demo's fine-tuning
# configs load it.
_base_ = ['./resnet18-tiny_fmnist.py']

# written by `python tools/train.py configs/pretrain/simclr_r18-tiny_fmnist.py`
# (tools/demo.py passes its cached pre-training instead)
pretrained = 'work_dirs/pretrain/simclr_r18-tiny_fmnist/epoch_1.pth'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')))
