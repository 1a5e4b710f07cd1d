# Noisy-Tune with SCL, as the COIN paper's comparison runs it (COIN, Pan et
# al., section 4.3): every backbone weight perturbed once before training
# (../_base_/methods/noisytune.py), then SCL of MoCo v2 ResNet-50 on Pets
# (../baselines/scl_r50_moco_pets.py: CE + eta * SupCon, eta = 0.1, the
# Core-tuning paper's appendix C.2 value).
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/scl_r50_moco_pets.py',
    '../_base_/methods/noisytune.py',
]
