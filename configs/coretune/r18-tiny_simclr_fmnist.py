# Core-tuning on the built-in Fashion-MNIST demo (the demo's small ResNet, SimCLR-pre-trained): SCL's settings
# (../baselines/scl_r18-tiny_simclr_fmnist.py) with the focal contrastive loss on hard
# pairs from hardness-directed mixup and the smooth classifier; eta and alpha
# as the paper's CIFAR10 (0.1, 1; lambda_n = 0.8, lambda_p = 0).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/scl_r18-tiny_simclr_fmnist.py']

model = dict(
    head=dict(
        con_loss=dict(type='FocalSupConLoss'),
        miner=dict(type='HardnessDirectedMixup', alpha=1.0)))
