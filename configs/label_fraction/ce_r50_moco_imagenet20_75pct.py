# The paper's Table 5: CE-tuning on ImageNet20 with 75% of the training
# labels: ./ce_r50_moco_imagenet20_10pct.py with another fraction.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_moco_imagenet20_10pct.py']

train_dataloader = dict(dataset=dict(fraction=0.75))
