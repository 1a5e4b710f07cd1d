# Table 2 '+L_con +mix-H': hardness-directed pairs with the plain SupCon
# loss instead of the focal one.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(head=dict(con_loss=dict(type='SupConLoss')))
