# SCL (Gunel et al.) of MoCo v2 ResNet-50 on Stanford Cars: CE-tuning
# (./ce_r50_moco_cars.py) + eta * SupCon on the originals, no generated pairs;
# eta = 0.1, Core-tuning's for this dataset (the paper's appendix C.2).
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_moco_cars.py']

model = dict(
    head=dict(
        con_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=0.1),
        gather_distributed=True))
