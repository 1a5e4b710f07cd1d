# Appendix E.3: temperature 0.05 (default 0.07).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(head=dict(con_loss=dict(temperature=0.05)))
