# The paper's Table 5: Core-tuning on ImageNet20 with 75% of the training
# labels: as ./coretune_r50_moco_imagenet20_10pct.py, another fraction.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../coretune/r50_moco_imagenet20.py']

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LabelFraction',
        fraction=0.75,
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
