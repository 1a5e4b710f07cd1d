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
    cfg = Config(dict(val_dataloader=val, test_dataloader=dict(val),
                      val_evaluator=dict(type='A'),
                      test_evaluator=dict(type='A')))
    opts = {'val_dataloader.dataset.data_root': '/mine',
            'val_evaluator.topk': (1, ),
            'model.x': 1}
    added = mirror_val_options_to_test(cfg, opts)
    assert sorted(added) == ['test_dataloader.dataset.data_root',
                             'test_evaluator.topk']
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
    cfg = Config(dict(val_dataloader=dict(dataset=dict(split='val')),
                      test_dataloader=dict(dataset=dict(split='test'))))
    with pytest.raises(ValueError, match='give test_dataloader.dataset.'
                       'data_root=... instead'):
        mirror_val_options_to_test(
            cfg, {'val_dataloader.dataset.data_root': '/mine'})


def test_a_typo_of_a_runner_key_is_named():
    import pytest
    from mmengine.config import Config

    from mmctune.utils.cfg_check import check_config_keys
    for typo, meant in (('trian_cfg', 'train_cfg'),
                        ('val_evalutor', 'val_evaluator'),
                        ('optim_wraper', 'optim_wrapper'),
                        ('defualt_hooks', 'default_hooks')):
        with pytest.raises(KeyError, match=f'"{typo}" is read by nothing; '
                           f'did you mean {meant}'):
            check_config_keys(Config({typo: dict(max_epochs=1)}), 'x.py')
    # config variables are not typos
    check_config_keys(
        Config(dict(train_pipeline=[], test_pipeline=[], resize=32,
                    delta_model=dict(), norm_cfg=dict(), train_cfg=dict())))


def test_no_shipped_config_has_a_key_typo():
    import glob
    import os.path as osp

    from mmengine.config import Config

    from mmctune.utils.cfg_check import check_config_keys

    from ..conftest import ROOT
    leaves = [p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                                   recursive=True) if '_base_' not in p]
    for path in leaves:
        check_config_keys(Config.fromfile(path), path)


def test_cfg_options_typo_in_a_default_hook_and_custom_imports():
    import pytest
    from mmengine.config import Config

    from mmctune.utils.cfg_check import check_cfg_options
    cfg = Config(dict(default_hooks=dict(checkpoint=dict(interval=5)),
                      custom_hooks=[]))
    with pytest.raises(KeyError, match='no default hook "checkpont".*did '
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
    cfg = Config(dict(model=dict(head=dict(con_loss=dict(
        type='FocalSupConLoss', temperature=0.07, loss_weight=0.1)))))
    with pytest.warns(UserWarning, match=r"model.head.con_loss are kept for "
                      r"the new type: temperature=0.07, loss_weight=0.1"):
        check_cfg_options(cfg, {'model.head.con_loss.type': 'TCLLoss'})
    # giving the arguments too leaves nothing kept silently
    with pytest.warns(UserWarning, match='kept for the new type: '
                      'loss_weight=0.1. Give'):
        check_cfg_options(cfg, {'model.head.con_loss.type': 'TCLLoss',
                                'model.head.con_loss.temperature': 0.1})
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        check_cfg_options(cfg, {
            'model.head.con_loss.type': 'TCLLoss',
            'model.head.con_loss.temperature': 0.1,
            'model.head.con_loss.loss_weight': 0.1})
