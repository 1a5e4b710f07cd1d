# Core-tuning for domain generalisation on PACS, target art_painting: CE-Con's
# settings (./ce-con_r50_moco_pacs_art_painting.py, eta = 0.1) with the focal
# contrastive loss on hard pairs from hardness-directed mixup and the smooth
# classifier. The paper gives no eta and alpha for this task: CIFAR10's.
# batch: 1 GPU x 96 = 96 (auto_scale_lr.base_batch_size)
_base_ = ['./ce-con_r50_moco_pacs_art_painting.py']

model = dict(
    head=dict(
        con_loss=dict(type='FocalSupConLoss'),
        miner=dict(type='HardnessDirectedMixup', alpha=1.0)))
custom_hooks = [dict(type='TargetDomainTestHook', method='Core-tuning')]
