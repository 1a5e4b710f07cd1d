# SCL (Gunel et al.) of MoCo v2 ResNet-50 on Oxford-IIIT Pets: CE-tuning's
# settings (./ce_r50_moco_pets.py: the same bases, classes, learning rate,
# batch and schedule) + eta * SupCon on the originals, no generated pairs;
# eta = 0.1, Core-tuning's for this dataset (the paper's appendix C.2).
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/pets.py',
    '../_base_/schedules/sgd_cosine_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(
        num_classes=37,
        con_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=0.1),
        gather_distributed=True))
auto_scale_lr = dict(base_batch_size=64)
