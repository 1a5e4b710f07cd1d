"""train_eval_loader_cfg: the training set read for evaluation (the test
pipeline, each image once, in order) through every dataset wrapper, checked
on configs and on the images a built loader gives."""
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmctune.datasets import find_pipeline, set_pipeline, train_eval_loader_cfg

TRAIN = ['train']
TEST = ['test']


def cfg_with(dataset, **loader):
    train = dict(
        batch_size=8,
        num_workers=2,
        persistent_workers=True,
        drop_last=True,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dataset,
        **loader)
    return Config(
        dict(
            train_dataloader=train,
            val_dataloader=dict(dataset=dict(type='V', pipeline=['val'])),
            test_dataloader=dict(dataset=dict(type='T', pipeline=TEST))))


def test_the_label_fraction_is_kept_and_its_dataset_gets_the_pipeline():
    """LabelFraction takes no ``pipeline`` (tsne.py --split train passed it
    one): the dataset it wraps does."""
    fraction = dict(
        type='LabelFraction',
        fraction=0.1,
        dataset=dict(type='mmpretrain.CIFAR10', pipeline=TRAIN))
    loader = train_eval_loader_cfg(cfg_with(fraction))
    assert loader['dataset']['type'] == 'LabelFraction'
    assert 'pipeline' not in loader['dataset']
    assert loader['dataset']['dataset']['pipeline'] == TEST
    assert loader['sampler'] == dict(type='DefaultSampler', shuffle=False)
    assert loader['drop_last'] is False
    assert (loader['batch_size'], loader['num_workers']) == (8, 2)
    assert loader['persistent_workers'] is True
    # a kNN bank: the whole training set
    whole = train_eval_loader_cfg(cfg_with(fraction), whole_set=True)
    assert whole['dataset'] == dict(type='mmpretrain.CIFAR10', pipeline=TEST)
    # the validation pipeline, a given one, the training one
    assert train_eval_loader_cfg(
        cfg_with(fraction),
        'val')['dataset']['dataset']['pipeline'] == ['val']
    assert train_eval_loader_cfg(
        cfg_with(fraction), ['x'])['dataset']['dataset']['pipeline'] == ['x']
    assert train_eval_loader_cfg(
        cfg_with(fraction), None)['dataset']['dataset']['pipeline'] == TRAIN
    with pytest.raises(ValueError, match="'test', 'val'"):
        train_eval_loader_cfg(cfg_with(fraction), 'train')


def test_repeats_are_removed_and_each_concatenated_dataset_reads():
    concat = dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type='RepeatDataset',
                times=3,
                dataset=dict(type='A', pipeline=TRAIN)),
            dict(
                type='mmengine.ClassBalancedDataset',
                oversample_thr=0.1,
                dataset=dict(
                    type='LabelFraction',
                    fraction=0.5,
                    dataset=dict(type='B', pipeline=TRAIN))),
        ])
    cfg = cfg_with(concat, batch_sampler=dict(type='X'))
    loader = train_eval_loader_cfg(cfg, batch_size=2, num_workers=0)
    assert loader['dataset'] == dict(
        type='ConcatDataset',
        datasets=[
            dict(type='A', pipeline=TEST),
            dict(
                type='LabelFraction',
                fraction=0.5,
                dataset=dict(type='B', pipeline=TEST)),
        ])
    assert 'batch_sampler' not in loader
    assert (loader['batch_size'], loader['num_workers'],
            loader['persistent_workers']) == (2, 0, False)
    # the config itself is unchanged
    assert cfg.train_dataloader.dataset.datasets[0].dataset.pipeline == TRAIN
    assert find_pipeline(concat) == TRAIN
    with pytest.raises(ValueError, match='no dataset under'):
        set_pipeline(dict(type='LabelFraction', dataset=dict(type='A')), TEST)


def test_a_built_loader_gives_each_labelled_image_once_unaugmented(
        tiny_fmnist):
    """A LabelFraction of the tiny Fashion-MNIST, repeated, with random
    crops and flips: the loader reads the half of each class the subset
    keeps once each, in order, twice the same."""
    from mmctune.utils import register_all_modules
    register_all_modules()
    train_pipeline = [
        dict(type='mmpretrain.RandomCrop', crop_size=28, padding=4),
        dict(type='mmpretrain.RandomFlip', prob=0.5),
        dict(type='mmpretrain.PackInputs')
    ]
    fmnist = dict(
        type='mmpretrain.FashionMNIST',
        data_root=tiny_fmnist,
        split='train',
        download=False)
    cfg = cfg_with(
        dict(
            type='RepeatDataset',
            times=2,
            dataset=dict(
                type='LabelFraction',
                fraction=0.5,
                dataset=dict(fmnist, pipeline=train_pipeline))),
        collate_fn=dict(type='default_collate'))
    cfg.test_dataloader.dataset = dict(
        fmnist, split='test', pipeline=[dict(type='mmpretrain.PackInputs')])
    loader_cfg = train_eval_loader_cfg(cfg, num_workers=0)
    passes = []
    for _ in range(2):
        loader = Runner.build_dataloader(loader_cfg, seed=0)
        passes.append([(b['inputs'], [s.sample_idx for s in b['data_samples']])
                       for b in loader])
    indices = [i for _, idx in passes[0] for i in idx]
    subset = loader.dataset.indices.tolist()
    assert 30 <= len(subset) <= 34  # half of each class of the 64 images
    assert indices == subset  # the labelled images, once each, in order
    for (a, _), (b, _) in zip(*passes):
        assert torch.equal(a, b)  # no random transform
