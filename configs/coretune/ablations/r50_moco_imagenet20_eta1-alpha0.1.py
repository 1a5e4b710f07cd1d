# Appendix E.2 (Figure 3) on ImageNet20: eta = 1 (the focal contrastive
# loss's weight) and alpha = 0.1 (Beta(alpha, alpha) of the
# mixup), a point of the grid eta in {0.1, 1, 10} x alpha in
# {0.1, 1}; ImageNet20's own (0.1, 1, appendix C.2) is
# ../r50_moco_imagenet20.py (docs/configs.md).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_imagenet20.py']

model = dict(head=dict(con_loss=dict(loss_weight=1), miner=dict(alpha=0.1)))
