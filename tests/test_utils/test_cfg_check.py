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
