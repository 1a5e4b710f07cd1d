# SCL on the ViT-Tiny miniature's class token: CE-tuning's settings
# (ce_vit-tiny-p7_simclr_fmnist.py) with the supervised contrastive loss on
# the projected class tokens, eta = 0.1 and tau = 0.07 as
# scl_r18-tiny_simclr_fmnist.py.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_vit-tiny-p7_simclr_fmnist.py']

model = dict(
    head=dict(
        con_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=0.1),
        gather_distributed=True))
