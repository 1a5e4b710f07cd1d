# CE-tuning (plain cross-entropy fine-tuning) of MoCo v2 ResNet-50 on
# caltech101:
# the Core-tuning paper's baseline, with its settings (appendix C.2):
# batch 256, lr 0.01, cosine decay, SGD + Nesterov, wd 1e-4.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/caltech101.py',
    '../_base_/schedules/sgd_cosine_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=102))
auto_scale_lr = dict(base_batch_size=256)
