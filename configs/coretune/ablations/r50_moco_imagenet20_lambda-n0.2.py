# Appendix E.4 (Table 13): negatives mixed with lambda >= 0.2
# (default 0.8).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_imagenet20.py']

model = dict(head=dict(miner=dict(lambda_n=0.2)))
