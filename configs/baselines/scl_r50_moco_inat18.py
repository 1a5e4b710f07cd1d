# SCL (Gunel et al.) of MoCo v2 ResNet-50 on iNaturalist 2018: CE-tuning's
# settings (./ce_r50_moco_inat18.py: the same bases, classes, learning rate,
# batch and schedule) + eta * SupCon on the originals, no generated pairs;
# eta = 10, Core-tuning's for this dataset (the paper's appendix C.2).
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
# (the paper: 4 GPUs for iNaturalist18, total batch 128: appendix C.2, "The
# experiments are conducted on 4 TITAN RTX 2080 GPUs for iNaturalist18";
# `bash tools/dist_train.sh CONFIG 4` runs 4 x 32)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/inat18.py',
    '../_base_/schedules/sgd_cosine_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(
        num_classes=8142,
        con_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=10),
        gather_distributed=True))
optim_wrapper = dict(optimizer=dict(lr=0.1))
auto_scale_lr = dict(base_batch_size=128)

# iNaturalist: 160 epochs
param_scheduler = dict(T_max=160)
train_cfg = dict(max_epochs=160)
