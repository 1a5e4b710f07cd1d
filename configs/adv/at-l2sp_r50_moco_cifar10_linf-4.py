# AT + L2-SP: L2-SP of MoCo v2 ResNet-50 on cifar10 (../l2sp/
# r50_moco_cifar10.py: CE + L2-SP's pull towards the pre-trained weights),
# each step on the clean batch plus its PGD-10 adversarial images (linf
# eps=4/255), as AT-CE (./at-ce_r50_moco_cifar10_linf-4.py) does for
# CE-tuning; tested clean and under PGD-10 at every budget of
# ../_base_/adv/pgd10.py. Adversarial training composed with a regulariser by
# one argument (`attack`); no paper runs it (docs/methods/adversarial.md).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../baselines/ce_r50_moco_cifar10.py', '../_base_/methods/l2sp.py',
    '../_base_/adv/pgd10.py'
]

model = dict(**_base_.l2sp_model, attack=_base_.pgd10_linf_4)
test_cfg = dict(type='RobustTestLoop', attacks={{_base_.robust_attacks}})
