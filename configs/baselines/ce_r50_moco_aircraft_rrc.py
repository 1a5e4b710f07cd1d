# CE-tuning of MoCo v2 ResNet-50 on FGVC Aircraft with the random-resized-crop
# recipe (train random resized crop 224 + flip) instead of the paper's
# rescaling + rotation, which ./ce_r50_moco_aircraft.py uses (supplement
# C.2); test as there (resize 256x256, centre crop 224). Otherwise the same.
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = [
    '../_base_/models/resnet50_moco_v2.py',
    '../_base_/datasets/aircraft_rrc.py',
    '../_base_/schedules/sgd_cosine_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=100))
auto_scale_lr = dict(base_batch_size=64)
