# Table 2 '+L_con +mix-H' on the built-in Fashion-MNIST demo: Core-tuning's
# hardness-directed pairs with the plain SupCon loss instead of the focal one.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../r18-tiny_simclr_fmnist.py']

model = dict(head=dict(con_loss=dict(type='SupConLoss')))
