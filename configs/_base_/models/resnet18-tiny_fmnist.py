# A small ResNet for 28x28 one-channel images (the built-in Fashion-MNIST
# demo): ResNet-18 layout with the CIFAR stem (3x3, no max-pool) and 16 base
# channels: 128-d features, about 0.7M parameters. Linear head, 10 classes:
# mmctune's FeatureRegularizedClsHead, which with none of its terms is
# mmpretrain's LinearClsHead; its projector (built only with a con_loss) is
# scaled to the 128-d features: 128 -> 128 -> 64.
model = dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(
        type='mmpretrain.ResNet_CIFAR',
        depth=18,
        in_channels=1,
        stem_channels=16,
        base_channels=16,
        out_indices=(3, )),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='FeatureRegularizedClsHead',
        num_classes=10,
        in_channels=128,
        projector=dict(
            type='MLPProjector',
            in_channels=128,
            hid_channels=128,
            out_channels=64),
        loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
