# CE-tuning of the ViT-Tiny miniature (../_base_/models/
# vit-tiny-p7_simclr_fmnist.py: 7x7 patches of the 28x28 images, the class
# token as the feature), SimCLR-pre-trained on the unlabelled Fashion-MNIST
# training images (../pretrain/simclr_vit-tiny-p7_fmnist_2e.py): full
# fine-tuning with AdamW (../_base_/schedules/adamw_cosine_10e.py) on the
# first 6,000 labelled training images, tested on the 10,000 test images.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/vit-tiny-p7_simclr_fmnist.py',
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/schedules/adamw_cosine_10e.py',
    '../_base_/default_runtime.py',
]

# the first 6,000 labelled training images
train_dataloader = dict(batch_size=128, dataset=dict(indices=6000))

default_hooks = dict(logger=dict(interval=10))
