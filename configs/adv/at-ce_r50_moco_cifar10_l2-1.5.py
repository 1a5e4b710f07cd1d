# AT-CE on cifar10 trained against PGD-10 at l2 eps=1.5: Table 9's column for
# that budget (each column of the paper's Table 9 is its own trained model).
# As ./at-ce_r50_moco_cifar10_l2-0.5.py (CE-tuning,
# ../baselines/ce_r50_moco_cifar10.py, with adversarial training) at another
# training budget; tested clean and under PGD-10 at every budget.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cifar10.py', '../_base_/adv/pgd10.py']

model = dict(type='AdversarialClassifier', attack={{_base_.pgd10_l2_1_5}})
test_cfg = dict(type='RobustTestLoop', attacks={{_base_.robust_attacks}})
