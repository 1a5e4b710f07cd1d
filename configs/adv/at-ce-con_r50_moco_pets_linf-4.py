# AT-CE-Con (the Core-tuning supplement's Table 5, appendix D.2; §5.4's
# method): SCL (CE + eta * SupCon) of MoCo v2 ResNet-50 on pets
# (../baselines/scl_r50_moco_pets.py), each step on the clean batch plus its
# PGD-10 adversarial images (linf eps=4/255); tested clean and under PGD-10 at
# every budget of ../_base_/adv/pgd10.py.
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/scl_r50_moco_pets.py', '../_base_/adv/pgd10.py']

model = dict(type='AdversarialClassifier', attack={{_base_.pgd10_linf_4}})
test_cfg = dict(type='RobustTestLoop', attacks={{_base_.robust_attacks}})
