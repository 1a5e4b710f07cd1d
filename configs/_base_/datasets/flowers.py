# Oxford 102 Flowers (trainval / test)
_base_ = ['./pipelines.py']

dataset_type = 'mmpretrain.Flowers102'
data_root = 'data/Flowers102'
data_preprocessor = dict(num_classes=102)

train_dataloader = dict(
    batch_size=64,  # the paper's total batch; see auto_scale_lr
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='trainval',
        pipeline={{_base_.train_pipeline}}),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline={{_base_.test_pipeline}}),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
