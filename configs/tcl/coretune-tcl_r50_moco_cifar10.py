# Core-tuning with TCL in place of the focal SupCon loss: the hard pairs of
# hardness-directed mixup join TCL's positives and negatives (P_i, A_i as in
# Core-tuning), the smooth classifier is unchanged. TCL has no focal weight.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../coretune/r50_moco_cifar10.py']

# TCL's defaults in place of the inherited loss; its weight (eta) is kept
model = dict(
    head=dict(
        con_loss=dict(type='TCLLoss', temperature=0.1, k1=5000.0, k2=1.0)))
