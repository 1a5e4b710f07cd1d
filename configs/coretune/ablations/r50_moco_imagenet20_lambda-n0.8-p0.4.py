# Appendix E.4 (Table 13), the lambda_p sweep: positives mixed with
# lambda >= lambda_p = 0.4, negatives with lambda >= lambda_n = 0.8
# ("each run tests one parameter and fixes another one to 0.8").
# The sweep's lambda_p = 0 run is Core-tuning itself
# (../r50_moco_imagenet20.py: lambda_n = 0.8, lambda_p = 0).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_imagenet20.py']

model = dict(head=dict(miner=dict(lambda_n=0.8, lambda_p=0.4)))
