# SCL (Gunel et al.): CE + eta * SupCon on the originals, no generated pairs,
# on flowers; eta as Core-tuning's for this dataset (coretune/r50_moco_flowers.py).
_base_ = ['./ce_r50_moco_flowers.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        con_loss=dict(type='SupConLoss', temperature=0.07),
        con_weight=1,
        gather_distributed=True))
