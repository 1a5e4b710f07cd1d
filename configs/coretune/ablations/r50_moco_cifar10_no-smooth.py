# Appendix E.7 (Table 15): Core-tuning without the smooth classifier (the
# classifier sees only the originals).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(head=dict(smooth_classifier=False))
