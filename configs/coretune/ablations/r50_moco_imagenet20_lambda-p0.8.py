# Appendix E.4 (Table 13): positives mixed with lambda >= 0.8
# (default 0: no clipping).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_imagenet20.py']

model = dict(head=dict(miner=dict(lambda_p=0.8)))
