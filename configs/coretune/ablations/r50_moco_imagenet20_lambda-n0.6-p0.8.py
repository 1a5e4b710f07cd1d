# Appendix E.4 (Table 13), the lambda_n sweep: negatives mixed with
# lambda >= lambda_n = 0.6, positives with lambda >= lambda_p = 0.8
# ("each run tests one parameter and fixes another one to 0.8").
# The sweep's lambda_n = 0.8 run: ./r50_moco_imagenet20_lambda-n0.8-p0.8.py.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_imagenet20.py']

model = dict(head=dict(miner=dict(lambda_n=0.6, lambda_p=0.8)))
