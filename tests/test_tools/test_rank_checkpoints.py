"""tools/analysis_tools/rank_checkpoints.py on tiny Fashion-MNIST: the scores
it reports are the functional scores of the backbone features of the
training set read with the test pipeline, candidates are ranked by them,
rank correlations are scipy's, and bad input is refused."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from scipy.stats import kendalltau

from mmctune.engine.runner import Runner
from mmctune.evaluation.functional import extract_features, h_score, logme
from mmctune.registry import MODELS
from ..conftest import write_tiny_config
from .tool_loader import load_tool

rank = load_tool('analysis_tools/rank_checkpoints.py')


@pytest.fixture
def setup(tiny_fmnist, tmp_path):
    config = write_tiny_config(tmp_path / 'cfg.py', tiny_fmnist)
    cfg = Config.fromfile(config)
    cfg.model.backbone.pop('init_cfg', None)
    cfg.model.data_preprocessor = cfg.data_preprocessor
    paths = []
    for seed in range(3):
        torch.manual_seed(seed)
        model = MODELS.build(cfg.model)
        model.init_weights()
        path = str(tmp_path / f'ckpt{seed}.pth')
        torch.save(dict(state_dict=model.state_dict()), path)
        paths.append(path)
    return config, paths


def test_scores_and_ranks_of_checkpoints(setup, tmp_path):
    config, paths = setup
    acc = [70.0, 80.0, 75.0]
    result = rank.main([
        config, '--checkpoints', *paths, '--finetuned-acc', *map(str, acc),
        '--work-dir',
        str(tmp_path / 'rank'), '--device', 'cpu'
    ])
    with open(osp.join(tmp_path, 'rank', 'rank_checkpoints.json')) as f:
        assert json.load(f) == json.loads(json.dumps(result))
    rows = result['candidates']
    assert [r['name'] for r in rows] == paths
    assert result['samples'] == 64  # the whole (tiny) training set
    # the features: the backbone of each checkpoint on the training images
    # with the test pipeline (no augmentation), in order
    cfg = Config.fromfile(config)
    loader_cfg = rank.feature_loader_cfg(cfg)
    assert loader_cfg.dataset.pipeline == cfg.test_dataloader.dataset.pipeline
    assert loader_cfg.dataset.split == 'train'
    model = rank.build_encoder(cfg, paths[1], 'backbone.', 'cpu')
    feats, labels = extract_features(model,
                                     Runner.build_dataloader(loader_cfg))
    assert rows[1]['scores']['logme'] == pytest.approx(
        logme(feats.double().numpy(), labels.numpy()))
    assert rows[1]['scores']['hscore'] == pytest.approx(
        h_score(feats.double().numpy(), labels.numpy()))
    for key in ('logme', 'nleep', 'nce', 'hscore'):
        values = [r['scores'][key] for r in rows]
        ranks = [r['ranks'][key] for r in rows]
        assert ranks == [1 + sum(v > x for v in values) for x in values]
        assert result['rank_correlation'][key]['kendall_tau'] == \
            pytest.approx(kendalltau(values, acc).statistic)
    assert all(np.isfinite(r['scores']['nleep']) for r in rows)


def test_configs_as_candidates_and_bad_input(setup, tmp_path, tiny_fmnist):
    config, paths = setup
    configs = []
    for i, path in enumerate(paths[:2]):
        configs.append(
            write_tiny_config(
                tmp_path / f'pre{i}.py',
                tiny_fmnist,
                extra=f"model = dict(backbone=dict(init_cfg=dict("
                f"type='Pretrained', checkpoint={path!r}, "
                "prefix='backbone.')))"))
    by_config = rank.main(
        configs +
        ['--work-dir', str(tmp_path / 'a'), '--names', 'A', 'B'])
    by_ckpt = rank.main([
        config, '--checkpoints', *paths[:2], '--work-dir',
        str(tmp_path / 'b')
    ])
    for a, b in zip(by_config['candidates'], by_ckpt['candidates']):
        assert a['scores']['logme'] == pytest.approx(b['scores']['logme'])
    with pytest.raises(SystemExit):  # 2 configs for 3 checkpoints
        rank.main(configs + ['--checkpoints', *paths])
    with pytest.raises(SystemExit):  # LEEP needs a source classifier
        rank.main([config, '--checkpoints', *paths, '--sort-by', 'leep'])
    with pytest.raises(ValueError, match='no pre-trained backbone'):
        rank.main([config, config])
    # a checkpoint's own classifier as the source head: LEEP is reported
    out = rank.main([
        config, '--checkpoints', *paths[:2], '--source-head', 'head.fc',
        '--work-dir',
        str(tmp_path / 'c')
    ])
    assert all('leep' in r['scores'] for r in out['candidates'])
    with pytest.raises(KeyError, match='linear layers'):
        rank.main([
            config, '--checkpoints', *paths[:2], '--source-head', 'fc',
            '--work-dir',
            str(tmp_path / 'd')
        ])
