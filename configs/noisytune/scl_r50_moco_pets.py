# Noisy-Tune with SCL on Pets, as the COIN paper's comparison runs it (Pan et
# al., §4.3, Table 1's Noisy-Tune row): every backbone weight perturbed once
# before training (../_base_/methods/noisytune.py), then CE-tuning of MoCo v2
# ResNet-50 (../baselines/ce_r50_moco_pets.py) plus SCL as COIN constructs it:
# 0.1 * SupCon at tau 0.3 (COIN §4.2: "the temperature coefficient tau = 0.3,
# and the weight of supervised contrastive loss lambda = 0.1").
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r50_moco_pets.py',
    '../_base_/methods/noisytune.py',
]

model = dict(head={{_base_.coin_scl_head}})
