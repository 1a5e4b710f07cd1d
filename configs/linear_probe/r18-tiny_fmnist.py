# Linear probe (the paper's appendix Table 10) on the demo's Fashion-MNIST:
# the encoder of a checkpoint is frozen (all stages, BN statistics too) and a
# linear classifier is trained on its features. The checkpoint: a classifier
# the toolbox trained (its `backbone.` keys, e.g. the demo's
# work_dirs/demo/core-tuning/epoch_10.pth) or the SimCLR pre-training:
#   python tools/train.py configs/linear_probe/r18-tiny_fmnist.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=CHECKPOINT
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

checkpoint = 'work_dirs/demo/core-tuning/epoch_10.pth'
model = dict(
    backbone=dict(
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')))

# the linear classifier only: no weight decay, a larger learning rate
optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=0.0))
