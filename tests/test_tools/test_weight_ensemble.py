"""tools/model_converters/weight_ensemble.py: refuses to choose on the test
set, and writes a WiSE-FT or soup checkpoint that loads strictly with
tools/test.py's loader (the arithmetic: tests/test_apis/
test_weight_ensemble.py)."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmctune.apis import load_model_checkpoint
from mmctune.registry import MODELS
from .tool_loader import load_tool

we = load_tool('model_converters/weight_ensemble.py')


def _fresh_model(config):
    cfg = Config.fromfile(config)
    cfg.model.backbone.pop('init_cfg', None)
    cfg.model.data_preprocessor = cfg.data_preprocessor
    return MODELS.build(cfg.model)


def test_wise_ft_writes_a_checkpoint_test_py_loads(ensemble_setup, tmp_path):
    config, pre, runs = ensemble_setup
    with pytest.raises(ValueError, match='test set'):
        we.main(['wise-ft', config, runs[0], '--out', str(tmp_path / 'x.pth')])
    out = str(tmp_path / 'wise.pth')
    record = we.main([
        'wise-ft', config, runs[0], '--out', out, '--alphas', '0.5',
        '--bn-batches', '2', '--holdout', '0.2', '--device', 'cpu'
    ])
    assert record['chosen']['alpha'] == 0.5
    with open(osp.splitext(out)[0] + '.json') as f:
        assert json.load(f)['metric'] == 'accuracy/top1'
    model = _fresh_model(config)
    load_model_checkpoint(model, out)  # strict: every key, every shape
    written = torch.load(out, weights_only=False)['state_dict']
    ft = torch.load(runs[0], weights_only=False)['state_dict']
    theta0 = torch.load(pre, weights_only=False)['state_dict']
    assert written.keys() == ft.keys()
    key = 'backbone.layer2.0.conv1.weight'
    torch.testing.assert_close(written[key], 0.5 * theta0[key] + 0.5 * ft[key])
    assert torch.equal(written['head.fc.weight'], ft['head.fc.weight'])
    # BN statistics recomputed, not interpolated
    bn = 'backbone.layer2.0.bn1.running_mean'
    assert not torch.allclose(written[bn], 0.5 * theta0[bn] + 0.5 * ft[bn])
    # ... unless turned off
    out0 = str(tmp_path / 'wise0.pth')
    we.main([
        'wise-ft', config, runs[0], '--out', out0, '--alphas', '0.5',
        '--bn-batches', '0', '--allow-test-selection', '--device', 'cpu'
    ])
    kept = torch.load(out0, weights_only=False)['state_dict']
    torch.testing.assert_close(kept[bn], 0.5 * theta0[bn] + 0.5 * ft[bn])


def test_soups_write_a_checkpoint_test_py_loads(ensemble_setup, tmp_path):
    config, _, runs = ensemble_setup
    out = str(tmp_path / 'soup.pth')
    record = we.main([
        'soup', config, *runs, '--out', out, '--recipe', 'uniform',
        '--bn-batches', '2', '--holdout', '0.2', '--device', 'cpu'
    ])
    assert len(record['ingredients']) == 3
    kept = record['greedy']['kept']
    assert kept[0] == max(
        range(3), key=lambda i: record['ingredients'][i]['score'])
    load_model_checkpoint(_fresh_model(config), out)
    written = torch.load(out, weights_only=False)
    sds = [torch.load(p, weights_only=False)['state_dict'] for p in runs]
    key = 'head.fc.weight'
    torch.testing.assert_close(written['state_dict'][key],
                               sum(sd[key] for sd in sds) / 3)
    assert written['meta']['dataset_meta']['classes'][0] == 'a'
    with pytest.raises(SystemExit):
        we.main(['soup', config, runs[0], '--out', out])
