# Bi-tuning on the built-in Fashion-MNIST demo: CE + projector and classifier
# contrast against class-wise queues (K = 40 per class, T = 0.07) of keys from
# a momentum encoder (m = 0.999), two views per image; tllib's defaults with
# a 128 -> 64 projector for the small ResNet.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r18-tiny_simclr_fmnist.py']

model = dict(
    type='BiTuningClassifier',
    projector=dict(
        type='MLPProjector', in_channels=128, out_channels=64, num_layers=1),
    queue_size=40,
    momentum=0.999,
    temperature=0.07,
    loss_weight=1.0)

data_preprocessor = dict(
    _delete_=True,
    type='mmpretrain.SelfSupDataPreprocessor',
    mean=[72.94],
    std=[90.03],
    to_rgb=False)
view_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=28, padding=2),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
]
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(
            type='mmpretrain.MultiView',
            num_views=2,
            transforms=[view_pipeline]),
        dict(type='mmpretrain.PackInputs'),
    ]))
