# The paper's Table 5: CE-tuning on ImageNet20 with 25% of the training
# labels: as ./ce_r50_moco_imagenet20_10pct.py, another fraction.
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../baselines/ce_r50_moco_imagenet20.py']

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LabelFraction',
        fraction=0.25,
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
