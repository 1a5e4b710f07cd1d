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
