"""tools/misc/print_config.py: the config as the tools read it."""
import os.path as osp

import pytest
from mmengine.config import Config

from ..conftest import ROOT
from .tool_loader import load_tool


def test_print_config_prints_the_merged_config(capsys, tmp_path):
    # the command of docs/get_started.md, as written
    config = osp.join(ROOT, 'configs/coretune/r50_moco_cifar10.py')
    load_tool('misc/print_config.py').main(
        [config, '--cfg-options', 'train_dataloader.batch_size=64'])
    printed = capsys.readouterr().out
    expected = Config.fromfile(config)
    expected.merge_from_dict({'train_dataloader.batch_size': 64})
    # what is printed is a config file of the same settings ...
    copy = tmp_path / 'printed.py'
    copy.write_text(printed)
    assert Config.fromfile(str(copy)).to_dict() == expected.to_dict()
    # ... with every _base_ merged in: the leaf's head, the SCL base's eta,
    # the model base's backbone, the schedule, the runtime, the option
    cfg = Config.fromfile(str(copy))
    assert '_base_' not in printed
    assert cfg.model.head.con_loss.type == 'FocalSupConLoss'
    assert cfg.model.head.con_loss.loss_weight == 0.1
    assert cfg.model.head.miner.alpha == 1
    assert cfg.model.backbone.depth == 50
    assert cfg.param_scheduler.T_max == 100
    assert cfg.default_scope == 'mmctune'
    assert cfg.train_dataloader.batch_size == 64


def test_print_config_refuses_a_misspelt_option():
    config = osp.join(ROOT, 'configs/coretune/r50_moco_cifar10.py')
    with pytest.raises(KeyError, match='did you mean train_dataloader'):
        load_tool('misc/print_config.py').main(
            [config, '--cfg-options', 'train_dataloder.batch_size=64'])
