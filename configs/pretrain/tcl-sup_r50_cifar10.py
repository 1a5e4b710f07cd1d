# TCL, stage 1 of the supervised protocol of the TCL supplement (CIFAR-10:
# SupCon 96.16 vs TCL 96.30 top-1 after stage 2): SupCon's stage 1 with the
# tuned contrastive loss, k1 = 5000, k2 = 1 (TCL's defaults; mmctune's
# TCLLoss). Stage 2: configs/linear_probe/r50_tcl-sup_cifar10.py.
# batch: 1 GPU x 1024 = 1024 (auto_scale_lr.base_batch_size)
_base_ = ['./supcon_r50_cifar10.py']

model = dict(
    loss=dict(_delete_=True, type='TCLLoss', temperature=0.1, k1=5000.0,
              k2=1.0))
