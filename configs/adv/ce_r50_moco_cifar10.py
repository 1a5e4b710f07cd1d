# The "CE" row of the Core-tuning paper's Table 9: CE-tuning of MoCo v2
# ResNet-50 on cifar10 without adversarial training
# (../baselines/ce_r50_moco_cifar10.py, unchanged), tested clean and under
# PGD-10 at every budget of ../_base_/adv/pgd10.py. Test the CE-tuning
# checkpoint with it, so that the results land in this config's work dir
# (work_dirs/adv/ce_r50_moco_cifar10), where collect_adv_table.py reads them:
#   python tools/test.py configs/adv/ce_r50_moco_cifar10.py \
#       work_dirs/baselines/ce_r50_moco_cifar10/epoch_100.pth
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cifar10.py', '../_base_/adv/pgd10.py']

test_cfg = dict(type='RobustTestLoop', attacks={{_base_.robust_attacks}})
