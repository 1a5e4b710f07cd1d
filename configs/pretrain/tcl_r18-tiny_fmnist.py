# TCL, self-supervised, at the demo's size: the demo's SimCLR pre-training
# (simclr_r18-tiny_fmnist.py: the same network, views, schedule) with the
# tuned contrastive loss (k1 = 1, k2 = 1.5, the TCL supplement's CIFAR
# values) in place of NT-Xent at the same temperature.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./simclr_r18-tiny_fmnist.py']

model = dict(
    type='ContrastiveLearner',
    head=None,  # the loss replaces SimCLR's head
    loss=dict(type='TCLLoss', temperature=0.2, k1=1.0, k2=1.5),
    positives='instance')
