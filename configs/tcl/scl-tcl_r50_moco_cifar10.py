# SCL with the tuned contrastive loss (TCL) in place of SupCon: CE + eta * TCL
# on the originals. TCL's defaults: tau 0.1, k1 5000, k2 1.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/scl_r50_moco_cifar10.py']

# TCL's defaults in place of the inherited loss; its weight (eta) is kept
model = dict(
    head=dict(
        con_loss=dict(type='TCLLoss', temperature=0.1, k1=5000.0, k2=1.0)))
