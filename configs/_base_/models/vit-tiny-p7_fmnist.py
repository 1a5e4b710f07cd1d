# A ViT-Tiny for 28x28 one-channel images (the Fashion-MNIST miniature of
# the ViT configs): mmpretrain's VisionTransformer at DeiT-Tiny's size (192-d
# tokens, 12 layers, 3 heads, MLP 768; about 5.4M parameters) on 7x7 patches,
# so 16 patch tokens and the class token. The class token (192-d) feeds the
# classifier and, with a con_loss, the projector (192 -> 192 -> 64), as the
# DINO DeiT-S configs do (../pretrained/deit-s16_dino.py). Patches of 7, not
# 4: 16 tokens instead of 49, for the 2-core CPU the miniature runs on.
model = dict(
    type='mmpretrain.ImageClassifier',
    backbone=dict(
        type='mmpretrain.VisionTransformer',
        arch='deit-tiny',
        img_size=28,
        patch_size=7,
        in_channels=1,
        out_type='cls_token'),
    neck=None,
    head=dict(
        type='FeatureRegularizedClsHead',
        num_classes=10,
        in_channels=192,
        projector=dict(
            type='MLPProjector',
            in_channels=192,
            hid_channels=192,
            out_channels=64),
        loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
