# Table 2 '+L_con +mix-H' on the built-in Fashion-MNIST demo: Core-tuning's
# hardness-directed pairs with the plain SupCon loss instead of the focal one.
_base_ = ['../r18-tiny_simclr_fmnist.py']

model = dict(head=dict(con_loss=dict(type='SupConLoss')))
