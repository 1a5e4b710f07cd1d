"""mmctune.apis.methods: the one list of methods and their configs that the
demo and the benchmarks read."""
import os.path as osp

import pytest

from mmctune.apis.methods import (KINDS, METHODS, PARAM_NAMES, SETTINGS,
                                  get_method, method_of_config, methods_of)

from ..conftest import ROOT


def test_every_config_it_names_exists():
    for method in METHODS:
        assert method.configs, method.name
        for setting, config in method.configs.items():
            assert setting in SETTINGS, (method.name, setting)
            assert osp.isfile(osp.join(ROOT, config)), config


def test_names_keys_kinds_and_grids_are_sound():
    names = [m.name for m in METHODS]
    keys = [m.key for m in METHODS]
    assert len(set(names)) == len(names) and len(set(keys)) == len(keys)
    assert all(k == k.lower() and ' ' not in k for k in keys)
    assert names[0] == 'CE-tuning'
    for method in METHODS:
        assert method.kind in KINDS
        if isinstance(method.grid, str):  # the values chosen for another
            assert get_method(method.grid).grid
        elif method.grid:
            for path, values in method.grid.items():
                assert path in PARAM_NAMES and len(values) > 1
        # a method is found from each of its configs
        for config in method.configs.values():
            assert method_of_config(osp.join(ROOT, config)) is method


def test_selections():
    assert [m.name for m in methods_of('fmnist', ('fine-tuning', ))] == [
        'CE-tuning', 'SCL (+L_con)', 'L2-SP', 'DELTA', 'BSS', 'RIFLE', 'M&M',
        'Bi-tuning', 'Noisy-Tune', 'COIN', 'StochNorm', 'LwF', 'Co-Tuning',
        'LLRD', 'LP-FT', 'Freeze k stages', 'EMA', 'Core-tuning'
    ]
    assert [m.name for m in methods_of('fmnist', benchmark=True)] == [
        'CE-tuning', 'SCL (+L_con)', 'L2-SP', 'BSS', 'Bi-tuning', 'COIN',
        'StochNorm', 'LwF', 'Co-Tuning', 'LLRD', 'LP-FT', 'Freeze k stages',
        'EMA', 'Core-tuning', '+mix', '+L_con +mix-H'
    ]
    assert [m.name for m in methods_of('seg')] == ['CE-tuning', 'Core-tuning']
    assert [m.name for m in methods_of('fmnist-mbv2', benchmark=True)] == [
        'CE-tuning', 'SCL (+L_con)', 'L2-SP', 'BSS', 'COIN', 'Core-tuning'
    ]
    with pytest.raises(KeyError, match='the settings are'):
        methods_of('cifar11')
    with pytest.raises(KeyError, match="'Core-tunning'"):
        get_method('Core-tunning')
    with pytest.raises(KeyError, match="has no config for 'seg'"):
        get_method('L2-SP').config('seg')


def test_method_of_other_configs():
    """Configs the table does not name belong to the method whose folder
    or file-name prefix they have; others to none."""
    assert method_of_config('configs/coretune/r50_moco_dtd.py').key == \
        'core-tuning'
    assert method_of_config('configs/baselines/ce_r50_moco_pets.py').key == \
        'ce-tuning'
    assert method_of_config('configs/baselines/scl_r50_moco_cars.py').key == \
        'scl'
    assert method_of_config('configs/l2sp/r50_moco_dtd.py').key == 'l2sp'
    # an ablation is not the method; nor is another folder's config
    assert method_of_config(
        'configs/coretune/ablations/r50_moco_imagenet20_tau0.1.py') is None
    assert method_of_config('configs/tcl/coin-tcl_r50_moco_cifar10.py') is None
    assert method_of_config('/tmp/tiny.py') is None


def test_every_grid_setting_is_in_its_configs():
    """The benchmark's grid paths name settings that each config of the
    method has (set_by_path refuses a path that names nothing): a renamed
    key in a config shows here, not as a failed run an hour into a
    benchmark."""
    from mmengine.config import Config

    from mmctune.apis.cfg_edit import set_by_path
    for method in METHODS:
        if not isinstance(method.grid, dict):
            continue
        for setting, config in method.configs.items():
            if setting not in ('fmnist', 'fmnist-mbv2'):
                continue  # the benchmark's settings
            cfg = Config.fromfile(osp.join(ROOT, config))
            for path, values in method.grid.items():
                set_by_path(cfg, path, values[0])


def test_set_by_path_reaches_tuples_and_dotted_keys():
    from mmengine.config import Config

    from mmctune.apis.cfg_edit import set_by_path
    cfg = Config(
        dict(
            custom_hooks=[
                dict(stages=[(0.7, {
                    'head.con_loss.loss_weight': 0.1
                })])
            ],
            model=dict(head=dict(con_loss=dict(loss_weight=1.0)))))
    set_by_path(cfg, 'custom_hooks.0.stages.0.1.head.con_loss.loss_weight',
                10.0)
    assert cfg.custom_hooks[0].stages[0][1][
        'head.con_loss.loss_weight'] == 10.0
    set_by_path(cfg, 'model.head.con_loss.loss_weight', 0.5)
    assert cfg.model.head.con_loss.loss_weight == 0.5
    for bad in ('model.head.con_weight', 'custom_hooks.1.stages',
                'custom_hooks.0.stages.0.1.head.con_weight'):
        with pytest.raises(KeyError, match='the config has no'):
            set_by_path(cfg, bad, 1.0)
