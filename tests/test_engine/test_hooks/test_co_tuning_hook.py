"""CoTuningRelationshipHook: the training images it reads (the evaluation
pipeline, each once, in order), its sizes fitted to a smoke run, and a
demo run that prepares the relationship once and a resumed run that keeps
it."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmctune.engine.hooks import CoTuningRelationshipHook, fit_preparations
from ...conftest import ROOT, run_python, tiny_classifier, write_tiny_config


def test_hook_reads_the_training_images_with_the_evaluation_pipeline():
    train = dict(
        batch_size=4,
        drop_last=True,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(
            type='LabelFraction',
            fraction=0.5,
            dataset=dict(type='X', pipeline=['train'])))
    val = dict(dataset=dict(type='X', pipeline=['test']))
    cfg = CoTuningRelationshipHook().loader_cfg(
        Config(dict(train_dataloader=train, val_dataloader=val)))
    # the labelled subset it trains on, each image once, in order
    assert cfg['dataset']['type'] == 'LabelFraction'
    assert cfg['dataset']['dataset']['pipeline'] == ['test']
    assert 'pipeline' not in cfg['dataset']
    assert cfg['sampler'] == dict(type='DefaultSampler', shuffle=False)
    assert cfg['drop_last'] is False and cfg['batch_size'] == 4
    assert train['dataset']['dataset']['pipeline'] == ['train']  # a copy
    kept = CoTuningRelationshipHook(pipeline=None).loader_cfg(
        Config(dict(train_dataloader=train)))
    assert kept['dataset']['dataset']['pipeline'] == ['train']
    # a config that only tests at the end: the test loader's pipeline
    test = dict(dataset=dict(type='X', pipeline=['test only']))
    cfg = CoTuningRelationshipHook().loader_cfg(
        Config(
            dict(
                train_dataloader=train,
                val_dataloader=None,
                test_dataloader=test)))
    assert cfg['dataset']['dataset']['pipeline'] == ['test only']
    with pytest.raises(ValueError, match='no val_dataloader'):
        CoTuningRelationshipHook().loader_cfg(
            Config(dict(train_dataloader=train)))
    with pytest.raises(ValueError, match='list of transforms'):
        CoTuningRelationshipHook(pipeline='train')


def test_smoke_fits_the_pseudo_source_classes_and_step_time_marks_them():
    hook = dict(type='CoTuningRelationshipHook')
    # the class's default (1000) for 16 images
    cfg = Config(
        dict(model=dict(type='CoTuningClassifier'), custom_hooks=[hook]))
    assert fit_preparations(cfg, 16) == ['16 pseudo source classes']
    assert cfg.model.num_source_classes == 16
    cfg = Config(
        dict(
            model=dict(type='CoTuningClassifier', num_source_classes=8),
            custom_hooks=[hook]))
    assert fit_preparations(cfg, 16) == [] and \
        cfg.model.num_source_classes == 8
    model = tiny_classifier('CoTuningClassifier', num_source_classes=4)
    CoTuningRelationshipHook().mark_prepared(model)
    assert bool(model.relationship_ready)
    with pytest.raises(TypeError, match='prepares a CoTuningClassifier'):
        CoTuningRelationshipHook().mark_prepared(
            tiny_classifier(
                data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor')))


def test_demo_config_trains_and_a_resumed_run_keeps_the_relationship(
        tiny_fmnist, tmp_path):
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base='configs/cotuning/r18-tiny_simclr_fmnist.py',
        extra='model.update(num_source_classes=8)\n'
        'train_cfg = dict(max_epochs=2, val_interval=2)\n')
    work = str(tmp_path / 'work')
    train = osp.join(ROOT, 'tools', 'train.py')
    r = run_python(
        args=[
            train, cfg, '--work-dir', work, '--cfg-options',
            'train_cfg.max_epochs=1'
        ],
        timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    assert ('Co-Tuning: 8 pseudo source classes (spherical k-means) and '
            'the relationship from 64 training images') in r.stdout
    assert 'loss_cotuning' in r.stdout

    def state(path):
        return torch.load(
            path, map_location='cpu', weights_only=False)['state_dict']

    first = state(osp.join(work, 'epoch_1.pth'))
    r = run_python(
        args=[train, cfg, '--work-dir', work, '--resume'], timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    assert ('CoTuningRelationshipHook: the model has its preparation '
            'already') in r.stdout
    assert 'pseudo source classes' not in r.stdout
    second = state(osp.join(work, 'epoch_2.pth'))
    torch.testing.assert_close(second['relationship'], first['relationship'])
    assert len(glob.glob(osp.join(work, 'epoch_*.pth'))) >= 1
