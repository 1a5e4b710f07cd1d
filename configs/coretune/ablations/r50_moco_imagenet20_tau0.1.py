# Appendix E.3 (Figure 3) on ImageNet20: temperature tau = 0.1 of the focal
# contrastive loss (default 0.07). Grid: 0.01 / 0.05 / 0.07 / 0.1 /
# 0.2 / 0.5 (docs/configs.md).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_imagenet20.py']

model = dict(head=dict(con_loss=dict(temperature=0.1)))
