import pytest
from mmengine.config import Config

from mmctune.utils.cfg_check import check_cfg_options


def test_cfg_options_keys():
    cfg = Config(dict(train_dataloader=dict(batch_size=2), model=dict()))
    check_cfg_options(cfg, {'train_dataloader.batch_size': 4})
    # a new nested key: a dataset argument left at its default
    check_cfg_options(cfg, {'train_dataloader.dataset.indices': 10})
    # not in this config, but the Runner reads it
    check_cfg_options(cfg, {'custom_hooks': [], 'find_unused_parameters': 1})
    with pytest.raises(KeyError, match='did you mean train_dataloader'):
        check_cfg_options(cfg, {'train_dataloder.batch_size': 4})
    with pytest.raises(KeyError, match='"xyz"'):
        check_cfg_options(cfg, {'xyz': 1})


def test_val_options_reach_the_test_where_it_is_the_validation_copy():
    from mmengine.config import Config

    from mmctune.utils.cfg_check import mirror_val_options_to_test
    val = dict(batch_size=4, dataset=dict(data_root='data/cifar10'))
    cfg = Config(
        dict(
            val_dataloader=val,
            test_dataloader=dict(val),
            val_evaluator=dict(type='A'),
            test_evaluator=dict(type='A')))
    opts = {
        'val_dataloader.dataset.data_root': '/mine',
        'val_evaluator.topk': (1, ),
        'model.x': 1
    }
    added = mirror_val_options_to_test(cfg, opts)
    assert sorted(added) == [
        'test_dataloader.dataset.data_root', 'test_evaluator.topk'
    ]
    cfg.merge_from_dict(opts)
    assert cfg.test_dataloader.dataset.data_root == '/mine'
    # an explicit test option wins
    opts = {'val_dataloader.batch_size': 8, 'test_dataloader.batch_size': 2}
    assert mirror_val_options_to_test(cfg, opts) == []
    assert opts['test_dataloader.batch_size'] == 2


def test_val_options_refused_where_the_test_has_its_own_settings():
    import pytest
    from mmengine.config import Config

    from mmctune.utils.cfg_check import mirror_val_options_to_test
    cfg = Config(
        dict(
            val_dataloader=dict(dataset=dict(split='val')),
            test_dataloader=dict(dataset=dict(split='test'))))
    with pytest.raises(
            ValueError,
            match='give test_dataloader.dataset.'
            'data_root=... instead'):
        mirror_val_options_to_test(
            cfg, {'val_dataloader.dataset.data_root': '/mine'})


def test_a_typo_of_a_runner_key_is_named():
    import pytest
    from mmengine.config import Config

    from mmctune.utils.cfg_check import check_config_keys
    for typo, meant in (('trian_cfg', 'train_cfg'), ('val_evalutor',
                                                     'val_evaluator'),
                        ('optim_wraper', 'optim_wrapper'), ('defualt_hooks',
                                                            'default_hooks')):
        with pytest.raises(
                KeyError,
                match=f'"{typo}" is read by nothing; '
                f'did you mean {meant}'):
            check_config_keys(Config({typo: dict(max_epochs=1)}), 'x.py')
    # config variables are not typos
    check_config_keys(
        Config(
            dict(
                train_pipeline=[],
                test_pipeline=[],
                resize=32,
                delta_model=dict(),
                norm_cfg=dict(),
                train_cfg=dict())))


def test_no_shipped_config_has_a_key_hook_or_model_argument_typo():
    import glob
    import os.path as osp

    from mmctune.utils.cfg_check import (check_config_keys, check_hook_args,
                                         check_model_args)
    from ..conftest import ROOT, load_config
    leaves = [
        p for p in glob.glob(
            osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
        if '_base_' not in p
    ]
    for path in leaves:
        cfg = load_config(path)
        check_config_keys(cfg, path)
        check_hook_args(cfg)
        check_model_args(cfg)


def test_cfg_options_typo_in_a_default_hook_and_custom_imports():
    import pytest
    from mmengine.config import Config

    from mmctune.utils.cfg_check import check_cfg_options
    cfg = Config(
        dict(default_hooks=dict(checkpoint=dict(interval=5)), custom_hooks=[]))
    with pytest.raises(
            KeyError,
            match='no default hook "checkpont".*did '
            'you mean checkpoint'):
        check_cfg_options(cfg, {'default_hooks.checkpont.interval': 1})
    check_cfg_options(cfg, {'default_hooks.checkpoint.interval': 1})
    check_cfg_options(cfg, {'default_hooks.ema.type': 'EMAHook'})
    with pytest.raises(KeyError, match='write it in the config file'):
        check_cfg_options(cfg, {'custom_imports.imports': ['x']})


def test_swapping_a_type_says_which_arguments_are_kept():
    import pytest
    from mmengine.config import Config

    from mmctune.utils.cfg_check import check_cfg_options
    cfg = Config(
        dict(
            model=dict(
                head=dict(
                    con_loss=dict(
                        type='FocalSupConLoss',
                        temperature=0.07,
                        loss_weight=0.1)))))
    with pytest.warns(
            UserWarning,
            match=r"model.head.con_loss are kept for "
            r"the new type: temperature=0.07, loss_weight=0.1"):
        check_cfg_options(cfg, {'model.head.con_loss.type': 'TCLLoss'})
    # giving the arguments too leaves nothing kept silently
    with pytest.warns(
            UserWarning, match='kept for the new type: '
            'loss_weight=0.1. Give'):
        check_cfg_options(
            cfg, {
                'model.head.con_loss.type': 'TCLLoss',
                'model.head.con_loss.temperature': 0.1
            })
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        check_cfg_options(
            cfg, {
                'model.head.con_loss.type': 'TCLLoss',
                'model.head.con_loss.temperature': 0.1,
                'model.head.con_loss.loss_weight': 0.1
            })


@pytest.mark.parametrize('key,value,equivalent', [
    ('runner', dict(type='EpochBasedRunner', max_epochs=2), 'train_cfg'),
    ('lr_config', dict(policy='step', step=[30]), 'param_scheduler'),
    ('optimizer_config', dict(grad_clip=None), 'optim_wrapper'),
    ('evaluation', dict(interval=1, metric='accuracy'), 'val_interval'),
    ('checkpoint_config', dict(interval=1), 'default_hooks'),
    ('log_config', dict(interval=50), 'default_hooks'),
    ('workflow', [('train', 1)], 'train_cfg'),
    ('data', dict(samples_per_gpu=32,
                  workers_per_gpu=2), 'batch_size=... (was samples_per_gpu)'),
    ('optimizer', dict(type='SGD', lr=0.1), 'optim_wrapper'),
])
def test_mmcv1_keys_are_refused_with_their_equivalent(key, value, equivalent):
    """An mmcls 0.x / mmcv 1.x key is read by nothing in mmengine: a config
    with runner=dict(max_epochs=2) would train the base's 100 epochs."""
    from mmctune.utils.cfg_check import check_config_keys
    cfg = Config(dict(train_cfg=dict(max_epochs=100), **{key: value}))
    with pytest.raises(KeyError) as err:
        check_config_keys(cfg, 'my_cfg.py')
    assert f'"{key}" is an mmcv 1.x / mmcls 0.x config key' in str(err.value)
    assert equivalent in str(err.value)
    with pytest.raises(KeyError, match=f'{key}.* mmcv 1.x'):
        check_cfg_options(Config(dict(model=dict())), {f'{key}.x': 1})


def test_helper_variables_with_old_names_are_not_refused():
    from mmctune.utils.cfg_check import check_config_keys
    sgd = dict(type='SGD', lr=0.1)
    check_config_keys(
        Config(dict(optimizer=sgd, optim_wrapper=dict(optimizer=sgd))))
    check_config_keys(Config(dict(data=dict(root='x'))))


def test_a_hook_argument_typo_is_named_before_the_run():
    """CheckpointHook takes **kwargs and passes them to save_checkpoint at
    the first save: a typo would train a whole epoch first."""
    from mmctune.utils.cfg_check import check_hook_args
    hooks = dict(checkpoint=dict(type='AtomicCheckpointHook', interval=1))
    check_hook_args(Config(dict(default_hooks=hooks)))
    hooks['checkpoint']['intervall'] = 2
    with pytest.raises(
            TypeError,
            match='default_hooks.checkpoint: '
            'AtomicCheckpointHook has no argument "intervall"; '
            'did you mean interval'):
        check_hook_args(Config(dict(default_hooks=hooks)))
    # an argument save_checkpoint does not take, far from every name
    hooks['checkpoint'] = dict(type='CheckpointHook', foo=1)
    with pytest.raises(TypeError, match='"foo"'):
        check_hook_args(Config(dict(default_hooks=hooks)))
    # save_checkpoint's own arguments pass
    hooks['checkpoint'] = dict(type='CheckpointHook', by_epoch=True)
    check_hook_args(Config(dict(default_hooks=hooks)))
    custom = [dict(type='RIFLEHook', intervall=10)]
    with pytest.raises(TypeError, match=r'custom_hooks\[0\].*interval'):
        check_hook_args(Config(dict(custom_hooks=custom)))


def test_a_model_argument_typo_is_named_before_the_run():
    """A classifier that hands ``**kwargs`` to mmpretrain's ImageClassifier
    would otherwise fail there, under the base class's name; every part
    of the model is checked, a loss inside a head included."""
    from mmctune.utils.cfg_check import check_model_args
    model = dict(
        type='DRTuneClassifier',
        queue_size=16,
        backbone=dict(type='mmpretrain.ResNet_CIFAR', depth=18),
        head=dict(
            type='mmpretrain.LinearClsHead',
            num_classes=3,
            in_channels=32,
            loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0)),
        # other registries' settings are left to their builders
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'),
        init_cfg=dict(type='Pretrained', checkpoint='x', prefix='backbone'))
    check_model_args(Config(dict(model=model)))
    for key, typo, message in (
        ('queue_size', 'queue_sise',
         'model: DRTuneClassifier has no argument "queue_sise"; did you mean '
         'queue_size'),
        ('backbone.depth', 'backbone.depht',
         'model.backbone: ResNet_CIFAR has no argument "depht"; did you '
         'mean depth'),
        ('head.loss.loss_weight', 'head.loss.loss_weigth',
         'model.head.loss: CrossEntropyLoss has no argument "loss_weigth"; '
         'did you mean loss_weight'),
    ):
        cfg = Config(dict(model=model))
        *path, last = key.split('.')
        node = cfg.model
        for part in path:
            node = node[part]
        node[typo.split('.')[-1]] = node.pop(last)
        with pytest.raises(TypeError, match=message):
            check_model_args(cfg)
    # **kwargs that go elsewhere than to the base class: timm's arguments
    check_model_args(
        Config(
            dict(
                model=dict(
                    type='mmpretrain.TimmClassifier',
                    model_name='resnet18',
                    pretrained=False))))
    # an argument far from every name: refused by a class without **kwargs
    # (the loss), left to the base class by one with them (the backbone)
    loss = dict(model['head']['loss'], foo=1)
    cfg = Config(dict(model=dict(model, head=dict(model['head'], loss=loss))))
    with pytest.raises(TypeError, match='"foo"; it takes use_sigmoid'):
        check_model_args(cfg)
    check_model_args(
        Config(
            dict(model=dict(model, backbone=dict(model['backbone'], foo=1)))))


def test_dict_options_parse_as_written():
    """mmengine's parser fails on dict values (RecursionError, or a string);
    mmctune's tools read them as a config would."""
    import argparse

    from mmctune.utils.dict_action import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    opts = parser.parse_args([
        '--cfg-options',
        'model.head.con_loss=dict(_delete_=True, type=TCLLoss, k1=-1.5, '
        "temperature=0.1, name='a b')",
        'custom_hooks=[dict(type=mmengine.EMAHook, momentum=1e-3)]',
        'train_cfg.max_epochs=3', 'x=[1,2]', 'y=(a,b)'
    ]).cfg_options
    assert opts['model.head.con_loss'] == dict(
        _delete_=True, type='TCLLoss', k1=-1.5, temperature=0.1, name='a b')
    assert opts['custom_hooks'] == [
        dict(type='mmengine.EMAHook', momentum=1e-3)
    ]
    # everything else as mmengine parses it
    assert opts['train_cfg.max_epochs'] == 3
    assert opts['x'] == [1, 2] and opts['y'] == ('a', 'b')


def test_the_swap_hint_works_as_suggested():
    """The warning's suggestion, with its '...' filled in, replaces the
    dict: the old loss's arguments are gone."""
    import argparse
    import re
    import warnings

    from mmctune.utils.dict_action import DictAction
    cfg = Config(
        dict(
            model=dict(
                head=dict(
                    con_loss=dict(
                        type='FocalSupConLoss',
                        temperature=0.07,
                        loss_weight=0.1)))))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        check_cfg_options(cfg, {'model.head.con_loss.type': 'BSSLoss'})
    hint = re.search(r'(\S+="dict\(_delete_=True, type=BSSLoss, \.\.\.\)")',
                     str(caught[0].message)).group(1)
    option = hint.replace(', ...', ', loss_weight=0.001').replace('"', '')
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options', option]).cfg_options
    cfg.merge_from_dict(options)
    assert cfg.model.head.con_loss == dict(type='BSSLoss', loss_weight=0.001)


def test_top5_of_three_classes_is_refused_before_training():
    from mmctune.utils.cfg_check import check_topk
    cfg = Config(
        dict(
            model=dict(head=dict(num_classes=3)),
            val_evaluator=dict(type='mmpretrain.Accuracy', topk=(1, 5))))
    with pytest.raises(
            ValueError,
            match=r'val_evaluator: Accuracy '
            r'topk=\(1, 5\) but the model has 3 classes.*'
            r'val_evaluator.topk="\(1,\)"'):
        check_topk(cfg)
    cfg.merge_from_dict({'val_evaluator.topk': (1, )})
    check_topk(cfg)
