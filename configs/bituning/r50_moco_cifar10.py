# Bi-tuning of MoCo v2 ResNet-50 on cifar10: CE + projector and classifier
# contrast against class-wise queues (K = 40 per class, T = 0.07) of keys from
# a momentum encoder (m = 0.999), two views per image; tllib's defaults.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_cifar10.py']

model = dict(
    type='BiTuningClassifier',
    projector=dict(
        type='MLPProjector', in_channels=2048, out_channels=128, num_layers=1),
    queue_size=40,
    momentum=0.999,
    temperature=0.07,
    loss_weight=1.0)

# two views of each training image (the key view feeds the momentum encoder)
data_preprocessor = dict(
    _delete_=True,
    type='mmpretrain.SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=False)
# each view: the CIFAR10 recipe of the paper's setting (supplement C.2,
# the released script's rescaling + rotation; _base_/datasets/cifar10.py)
view_pipeline = {{_base_.rescale_rotate_transforms}}
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(
            type='mmpretrain.MultiView',
            num_views=2,
            transforms=[view_pipeline]),
        dict(type='mmpretrain.PackInputs'),
    ]))
