# CIFAR10: the paper's recipe (appendix C.2), images upsampled from 32 px:
# train random resized crop 224 + flip; test resize 256 + center crop 224.
# The authors' released script uses another recipe: cifar10_released_recipe.py.
_base_ = ['./pipelines.py']

dataset_type = 'mmpretrain.CIFAR10'
data_root = 'data/cifar10'
# CIFAR images are held in memory as RGB arrays: no file loading, no BGR->RGB
data_preprocessor = dict(num_classes=10, to_rgb=False)

train_pipeline = [
    dict(type='mmpretrain.RandomResizedCrop', scale=224),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='mmpretrain.Resize', scale=256),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(
    batch_size=256,  # the paper's total batch; see auto_scale_lr
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
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
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
