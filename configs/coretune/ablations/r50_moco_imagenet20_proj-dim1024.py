# Appendix E.1 on ImageNet20: projector output dimension 1024
# (default 256; 2 layers, hidden 2048). Grid: 128 / 256 / 512 / 1024,
# mmctune's choice (docs/configs.md).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_imagenet20.py']

model = dict(
    head=dict(
        projector=dict(
            type='MLPProjector', in_channels=2048, out_channels=1024)))
