# Core-tuning in the digits domain-generalisation smoke run
# (./ce_r18-tiny_digits_opencv.py): the focal contrastive loss on hard pairs
# from hardness-directed mixup, eta and alpha as the paper's CIFAR10, the
# projector the small ResNet's (128 -> 128 -> 64, the model base's).
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r18-tiny_digits_opencv.py']

model = dict(
    head=dict(
        con_loss=dict(
            type='FocalSupConLoss', temperature=0.07, loss_weight=0.1),
        miner=dict(type='HardnessDirectedMixup', alpha=1.0),
        gather_distributed=True))
custom_hooks = [dict(type='TargetDomainTestHook', method='Core-tuning')]
