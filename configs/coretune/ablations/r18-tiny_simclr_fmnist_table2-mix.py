# Table 2 '+mix' on the built-in Fashion-MNIST demo: CE with manifold mixup
# of encoder features (random partners, soft labels), no contrastive loss.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../../baselines/ce_r18-tiny_simclr_fmnist.py']

model = dict(head=dict(miner=dict(type='ManifoldMixup', alpha=1.0)))
