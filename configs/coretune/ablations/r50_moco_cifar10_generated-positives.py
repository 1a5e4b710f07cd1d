# Appendix E.6 (Table 14): only each anchor's generated hard positive is
# its positive; other same-class originals are left out of the loss.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../r50_moco_cifar10.py']

model = dict(head=dict(con_loss=dict(positives='generated')))
