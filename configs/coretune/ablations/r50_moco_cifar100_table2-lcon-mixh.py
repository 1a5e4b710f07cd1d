# Table 2 '+L_con +mix-H' on CIFAR100: Core-tuning (../r50_moco_cifar100.py)
# with the plain SupCon loss instead of the focal one; the hardness-directed
# pairs and the smooth classifier kept.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar100.py']

model = dict(head=dict(con_loss=dict(type='SupConLoss')))
