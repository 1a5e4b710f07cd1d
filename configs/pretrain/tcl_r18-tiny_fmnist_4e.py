# TCL, self-supervised, at the benchmarks' pre-training budget: the
# benchmarks' SimCLR (simclr_r18-tiny_fmnist_4e.py: the same network, views
# and 4-epoch schedule, both from the demo's simclr_r18-tiny_fmnist.py) with
# the tuned contrastive loss of tcl_r18-tiny_fmnist.py (k1 = 1, k2 = 1.5, the
# TCL supplement's CIFAR values) in place of NT-Xent at the same
# temperature. One of the three pre-trainings that
# .dev_scripts/benchmarks/pretrain_table.py compares.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./simclr_r18-tiny_fmnist.py']

model = dict(
    type='ContrastiveLearner',
    head=None,  # the loss replaces SimCLR's head
    loss=dict(type='TCLLoss', temperature=0.2, k1=1.0, k2=1.5),
    positives='instance')

# 4 epochs, as simclr_r18-tiny_fmnist_4e.py
max_epochs = 4
param_scheduler = [
    # warm-up over the first 40 iterations, then cosine decay
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
