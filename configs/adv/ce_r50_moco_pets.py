# The "CE" row of the Core-tuning supplement's Table 5 (appendix D.2,
# adversarial training on Caltech101, DTD and Pets): CE-tuning of MoCo v2
# ResNet-50 on Pets without adversarial training
# (../baselines/ce_r50_moco_pets.py, unchanged), tested clean and under
# PGD-10 at every budget of ../_base_/adv/pgd10.py (the table's two among
# them: l2 eps 0.5, linf eps 4/255). Test the CE-tuning checkpoint with it,
# so that the results land in this config's work dir:
#   python tools/test.py configs/adv/ce_r50_moco_pets.py \
#       work_dirs/baselines/ce_r50_moco_pets/epoch_100.pth
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_pets.py', '../_base_/adv/pgd10.py']

test_cfg = dict(type='RobustTestLoop', attacks={{_base_.robust_attacks}})
