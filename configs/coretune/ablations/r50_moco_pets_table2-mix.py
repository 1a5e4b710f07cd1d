# Table 2 '+mix' on Pets: CE-tuning (../../baselines/ce_r50_moco_pets.py) with
# manifold mixup of encoder features (random partners, soft-label CE on the
# mixed features), no contrastive loss. alpha = 1: the dataset's Core-tuning
# alpha (appendix C.2), so that +mix and mix-H differ only in the partners.
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['../../baselines/ce_r50_moco_pets.py']

model = dict(head=dict(miner=dict(type='ManifoldMixup', alpha=1)))
