# Appendix E.4 (Table 13): negatives mixed with lambda >= 0.0
# (default 0.8).
_base_ = ['../r50_moco_imagenet20.py']

model = dict(head=dict(miner=dict(lambda_n=0.0)))
