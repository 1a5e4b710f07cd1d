# SCL (Gunel et al.) of MoCo v2 ResNet-50 on ImageNet-20: CE-tuning's
# settings (./ce_r50_moco_imagenet20.py: the same bases, classes, learning
# rate, batch and schedule) + eta * SupCon on the originals, no generated
# pairs; eta = 0.1, Core-tuning's for this dataset (the paper's appendix
# C.2).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/imagenet20.py',
    '../_base_/schedules/sgd_linear_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(
        num_classes=20,
        con_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=0.1),
        gather_distributed=True))
optim_wrapper = dict(optimizer=dict(lr=0.1))
auto_scale_lr = dict(base_batch_size=256)
