# CE-Con (SCL: CE + eta * SupCon, no generated pairs) for domain generalisation
# on PACS, target art_painting: CE-tuning's settings
# (./ce_r50_moco_pacs_art_painting.py); the paper gives no eta for this task:
# CIFAR10's, 0.1.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r50_moco_pacs_art_painting.py']

model = dict(
    head=dict(
        con_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=0.1),
        gather_distributed=True))
custom_hooks = [dict(type='TargetDomainTestHook', method='CE-Con')]
