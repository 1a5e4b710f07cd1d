# Linear probe of the ViT-Tiny miniature on Fashion-MNIST: the ViT of a
# checkpoint frozen whole (patch embedding, class token, position
# embedding, the 12 layers and the final norm: frozen_stages=12) and a
# linear classifier trained on its class token, with r18-tiny_fmnist.py's
# optimiser (SGD, lr 0.1, no weight decay). The checkpoint: the SimCLR
# pre-training or a classifier the toolbox trained (its `backbone.` keys):
#   python tools/train.py configs/linear_probe/vit-tiny-p7_fmnist.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=CHECKPOINT
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_vit-tiny-p7_simclr_fmnist.py']

model = dict(backbone=dict(frozen_stages=12))

optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0, nesterov=True))
