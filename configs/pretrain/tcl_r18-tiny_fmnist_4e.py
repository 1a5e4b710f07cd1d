# TCL, self-supervised, at the benchmarks' pre-training budget: the
# benchmarks' SimCLR (simclr_r18-tiny_fmnist_4e.py: the same network, views
# and 4-epoch schedule) with the tuned contrastive loss of
# tcl_r18-tiny_fmnist.py (k1 = 1, k2 = 1.5, the TCL supplement's CIFAR
# values) in place of NT-Xent at the same temperature. One of the three
# pre-trainings that tools/benchmarks/pretrain_table.py compares.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./simclr_r18-tiny_fmnist_4e.py']

model = dict(
    type='ContrastiveLearner',
    head=None,  # the loss replaces SimCLR's head
    loss=dict(type='TCLLoss', temperature=0.2, k1=1.0, k2=1.5),
    positives='instance')
