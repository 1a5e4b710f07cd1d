# ResNet-50 from supervised ImageNet training: torchvision's weights
# (IMAGENET1K_V1, https://download.pytorch.org/models/resnet50-0676ba61.pth,
# which mmengine's `torchvision://resnet50` names), the paper's "SL" rows.
# No conversion: torchvision keys are mmpretrain ResNet's; `fc` is skipped.
# For a ResNet-50 config (the MoCo v2 one's backbone, another checkpoint):
#   model = {{_base_.pretrained_model}}
pretrained_model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='torchvision://resnet50',
            prefix=None)))
