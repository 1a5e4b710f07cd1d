"""tools/analysis_tools/hcsc_ami.py: AMI per level of an HCSC checkpoint's
prototypes against the labels (HCSC supplement Table 5)."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmctune.registry import MODELS
from ..conftest import ROOT
from .tool_loader import load_tool

CONFIG = osp.join(ROOT, 'configs/pretrain/hcsc_r18-tiny_fmnist.py')


def test_ami_per_level():
    ami = load_tool('analysis_tools/hcsc_ami.py').ami_per_level
    labels = np.arange(60) % 6
    rng = np.random.default_rng(0)
    got = ami([labels * 7 % 6, labels // 2, rng.integers(0, 6, 60)], labels)
    assert got[0] == pytest.approx(1.0)  # the same partition, renamed
    assert 0.3 < got[1] < 1.0  # pairs of classes merged
    assert abs(got[2]) < 0.1  # unrelated


def test_checkpoint_to_ami_json(tiny_fmnist, tmp_path):
    tool = load_tool('analysis_tools/hcsc_ami.py')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    ckpt = str(tmp_path / 'epoch_1.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    out = tool.main([
        CONFIG, ckpt, '--num-clusters', '10', '5', '--backend', 'torch',
        '--cfg-options', f'train_dataloader.dataset.data_root={tiny_fmnist}'
    ])
    with open(str(tmp_path / 'epoch_1_ami.json')) as f:
        written = json.load(f)
    assert written == out
    assert out['num_images'] == 64 and out['num_classes'] == 10
    assert [r['prototypes'] for r in out['levels']] == [10, 5]
    for r in out['levels']:
        assert -1 <= r['ami'] <= 1
    # the tiny images are noise around a brightness per class: even random
    # key-encoder embeddings group them
    assert out['levels'][0]['ami'] > 0.2
    with pytest.raises(ValueError, match='--num-clusters'):
        tool.main([
            CONFIG, ckpt, '--cfg-options',
            f'train_dataloader.dataset.data_root={tiny_fmnist}'
        ])
