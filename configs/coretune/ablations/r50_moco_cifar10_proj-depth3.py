# Appendix E.1: projector with 3 linear layer(s) (default 2).
_base_ = ['../r50_moco_cifar10.py']

model = dict(
    head=dict(projector=dict(
        type='MLPProjector', in_channels=2048, num_layers=3)))
