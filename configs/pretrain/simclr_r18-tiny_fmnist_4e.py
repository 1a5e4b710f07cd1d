# SimCLR pre-training of the benchmarks (docs/benchmarks.md,
# .dev_scripts/benchmarks/run_all.sh): the demo's recipe
# (simclr_r18-tiny_fmnist.py)
# for 4 epochs instead of 1, on the 60,000 Fashion-MNIST training images,
# labels unused. About 16 minutes on 2 CPU cores.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./simclr_r18-tiny_fmnist.py']

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
