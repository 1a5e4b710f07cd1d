# SCL (Gunel et al.) on the built-in Fashion-MNIST demo: CE + eta * SupCon on
# the originals, no generated pairs; eta, temperature and projector (128 ->
# 128 -> 64) as Core-tuning's demo config (coretune/r18-tiny_simclr_fmnist.py).
# Table 2's "+L_con" row.
_base_ = ['./ce_r18-tiny_simclr_fmnist.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        projector=dict(
            type='MLPProjector',
            in_channels=128,
            hid_channels=128,
            out_channels=64),
        con_loss=dict(type='SupConLoss', temperature=0.07),
        con_weight=0.1,
        gather_distributed=True))
