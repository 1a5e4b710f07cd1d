# Linear probe (the paper's appendix Table 10: CE-tuned 94.78 vs Core-tuned
# 97.09 on CIFAR10): a fine-tuned ResNet-50 frozen (all stages, BN
# statistics too), a linear classifier trained on its features with the
# CIFAR10 recipe. Pass the fine-tuned checkpoint:
#   python tools/train.py configs/linear_probe/r50_moco_cifar10.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=CHECKPOINT
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cifar10.py']

checkpoint = 'work_dirs/r50_moco_cifar10/epoch_100.pth'
model = dict(
    backbone=dict(
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')))

optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=0.0))
