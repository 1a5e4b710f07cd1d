# ResNet-50 from the published MoCo v2 (800 epochs) checkpoint, linear head.
# The head is mmctune's FeatureRegularizedClsHead: with none of its terms it
# is mmpretrain's LinearClsHead (CE-tuning); each method's config adds its
# terms (con_loss, miner, feature_losses). Its projector, built only with a
# con_loss, defaults to 2048 -> 2048 -> 256 (the paper's).
# The checkpoint keeps the query encoder under `module.encoder_q.`; loading
# is strict: every backbone key must be found (see docs/pretrained_weights.md).
# Offline: put the file in checkpoints/ of the directory you run from (a URL
# is looked for there first), or pass its path instead of the URL.
moco_v2_checkpoint = ('https://dl.fbaipublicfiles.com/moco/moco_checkpoints/'
                      'moco_v2_800ep/moco_v2_800ep_pretrain.pth.tar')

model = dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            checkpoint=moco_v2_checkpoint,
            prefix='module.encoder_q.')),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='FeatureRegularizedClsHead',
        num_classes=1000,  # set by each config
        in_channels=2048,
        loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
