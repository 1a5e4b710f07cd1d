# Appendix E.7 (Table 15): CE-tuning with the smooth classifier: the
# classifier also learns the hardness-directed mixed features' soft labels;
# no contrastive loss.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../../baselines/ce_r50_moco_cifar10.py']

model = dict(head=dict(miner=dict(type='HardnessDirectedMixup', alpha=1.0)))
