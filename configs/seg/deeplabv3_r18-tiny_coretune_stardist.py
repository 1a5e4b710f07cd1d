# The segmentation smoke run (./deeplabv3_r18-tiny_ce_stardist.py) with
# Core-tuning's contrastive regulariser on the pooled last stage. Image
# labels from the masks: "nucleus" for a tile holding any nucleus pixel
# (its dominant non-background class), "background" for a tile of
# background only (background_only='label'; VOC's configs leave such
# images out instead).
# batch: 1 GPU x 16 = 16 (auto_scale_lr.base_batch_size)
_base_ = ['./deeplabv3_r18-tiny_ce_stardist.py']

model = dict(auxiliary_head=[
    {{_base_.fcn_aux_head}},
    dict(
        type='ContrastiveSegHead',
        in_channels=128,
        num_classes=2,
        in_index=3,
        projector=dict(
            type='MLPProjector',
            in_channels=128,
            hid_channels=128,
            out_channels=64),
        con_loss=dict(
            type='FocalSupConLoss', temperature=0.07, loss_weight=0.1),
        miner=dict(type='HardnessDirectedMixup', alpha=1.0, lambda_n=0.8),
        background_index=0,
        background_only='label'),
])
