# Appendix E.1: projector with 1 linear layer(s) (default 2).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(
    head=dict(projector=dict(
        type='MLPProjector', in_channels=2048, num_layers=1)))
