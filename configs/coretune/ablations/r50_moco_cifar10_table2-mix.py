# Table 2 '+mix': CE with manifold mixup of encoder features (random
# partners, soft labels), no contrastive loss.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../../baselines/ce_r50_moco_cifar10.py']

model = dict(head=dict(miner=dict(type='ManifoldMixup', alpha=1.0)))
