# The COIN paper's Table 4 (Pan et al., §5.1, "Stage split ratio alpha"):
# COIN on CIFAR-10 with alpha = 0.5, the first alpha * N epochs contrastive
# initialisation; every other value is ../r50_moco_cifar10.py's (tau = 0.3,
# lambda = 0.1, the paper's alpha = 0.7).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

custom_hooks = [
    dict(
        type='StageSwitchHook',
        stages=[(0.5, {
            'head.train_classifier': True,
            'head.con_loss.loss_weight': 0.1
        })])
]
