# The schedule of the built-in Fashion-MNIST demo (tools/demo.py) and the
# CPU benchmarks: SGD with Nesterov momentum 0.9, lr 0.05, weight decay 1e-4,
# cosine decay (per iteration) over 10 epochs, validation after the last.
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4, nesterov=True))
max_epochs = 10
param_scheduler = dict(
    type='CosineAnnealingLR',
    T_max=max_epochs,
    by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
