# HCSC pre-training (Guo et al., CVPR 2022) of the demo's small ResNet on the
# 60,000 Fashion-MNIST training images, labels unused (the hook reads them
# only for its false-negative statistics). The paper's method and optimiser
# (hcsc_r50_in1k.py: SGD lr 0.03, cosine, m 0.999, tau 0.2, MLP projector),
# the demo's views (simclr_r18-tiny_fmnist.py: one-channel images, no colour
# jitter) and embedding size (64), scaled to the dataset:
# - prototypes 100-50-20: about 600 images per bottom prototype (ImageNet's
#   3000 hold about 430) and a top level of twice the 10 classes, as the
#   paper's 1000 matches ImageNet's classes at the top;
# - queue 4096 (MoCo's CIFAR-10 size; 16384 would be 27% of the dataset);
# - 4 epochs (the benchmarks' SimCLR budget, simclr_r18-tiny_fmnist_4e.py),
#   the first one MoCo v2 (the paper warms up for 10% of training, 20 of 200
#   epochs; one epoch so that the first clustering sees trained features).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./simclr_r18-tiny_fmnist.py']

model = dict(
    _delete_=True,
    type='HCSC',
    queue_len=4096,
    feat_dim=64,
    momentum=0.001,  # mmengine's EMA weight: m = 0.999
    temperature=0.2,
    # the demo's network and input normalisation (simclr_r18-tiny_fmnist.py)
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    # the official MLP projector: Linear(128, 128), ReLU, Linear(128, 64)
    neck=dict(
        type='mmpretrain.MoCoV2Neck',
        in_channels=128,
        hid_channels=128,
        out_channels=64,
        with_avg_pool=True))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
max_epochs = 4
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        eta_min=0.)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

custom_hooks = [
    dict(
        type='HierarchicalKMeansHook',
        num_clusters=(100, 50, 20),
        warmup_epochs=1,
        pipeline=[dict(type='mmpretrain.PackInputs')],
        batch_size=1280)
]
