# The paper's Table 5: Core-tuning on ImageNet20 with 10% of the training
# labels (a stratified subset, seeded; the subsets of one seed are nested).
# Other fractions or seeds: --cfg-options train_dataloader.dataset.fraction=F
# train_dataloader.dataset.seed=S
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['../coretune/r50_moco_imagenet20.py']

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LabelFraction',
        fraction=0.1,
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
