# Core-tuning paper, appendix C.2: SGD with Nesterov momentum 0.9, weight
# decay 1e-4, cosine decay over 100 epochs (per iteration).
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4, nesterov=True))

param_scheduler = dict(
    type='CosineAnnealingLR',
    T_max=100,
    by_epoch=True,
    convert_to_iter_based=True)

train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# `--auto-scale-lr` scales lr by (GPUs x batch per GPU) / base_batch_size
auto_scale_lr = dict(base_batch_size=256)
