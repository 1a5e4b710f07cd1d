# SCL (Gunel et al.) on Fashion-MNIST from ImageNet MobileNetV2 weights: CE +
# eta * SupCon on the originals; temperature and eta as Core-tuning's config
# of this setting (../coretune/mbv2_in1k_fmnist.py), projector 1280 -> 1280
# -> 128.
_base_ = ['./ce_mbv2_in1k_fmnist.py']

model = dict(
    head=dict(
        type='ContrastiveClsHead',
        projector=dict(
            type='MLPProjector',
            in_channels=1280,
            hid_channels=1280,
            out_channels=128),
        con_loss=dict(type='SupConLoss', temperature=0.07),
        con_weight=0.1,
        gather_distributed=True))
