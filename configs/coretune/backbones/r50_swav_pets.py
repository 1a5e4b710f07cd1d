# The Core-tuning paper's Table 3 (other pre-trainings): Core-tuning of the
# ResNet-50 from SwAV on Pets: the dataset's MoCo v2 config
# (../r50_moco_pets.py: its settings, eta and alpha of appendix C.2) with this
# backbone and checkpoint (../../_base_/pretrained/r50_swav.py: where it comes
# from). CE-tuning counterpart: ../../baselines/ce_r50_swav_pets.py.
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_pets.py', '../../_base_/pretrained/r50_swav.py']

model = {{_base_.pretrained_model}}
