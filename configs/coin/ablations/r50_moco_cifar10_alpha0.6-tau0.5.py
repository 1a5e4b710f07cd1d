# The COIN paper's Table 3 (§5.1, "Temperature coefficient tau": "tau = 0.3
# works best under the setting of alpha = 0.6"): COIN on CIFAR-10 with
# alpha = 0.6 and tau = 0.5 in both stages; the table's tau = 0.3 point is
# ./r50_moco_cifar10_alpha0.6.py (Table 4's alpha = 0.6 point, the same
# 97.85).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(head=dict(con_loss=dict(temperature=0.5)))
# alpha = 0.6, as ./r50_moco_cifar10_alpha0.6.py
custom_hooks = [
    dict(
        type='StageSwitchHook',
        stages=[(0.6, {
            'head.train_classifier': True,
            'head.con_loss.loss_weight': 0.1
        })])
]
