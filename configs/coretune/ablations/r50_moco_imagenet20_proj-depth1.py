# Appendix E.1 on ImageNet20: projector with 1 linear layer
# (default 2; output 256, hidden 2048). Grid: 1 / 2 / 3, mmctune's
# choice (docs/configs.md).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_imagenet20.py']

model = dict(
    head=dict(
        projector=dict(type='MLPProjector', in_channels=2048, num_layers=1)))
