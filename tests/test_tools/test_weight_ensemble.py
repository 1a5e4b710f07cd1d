"""tools/model_converters/weight_ensemble.py: WiSE-FT interpolation is the
formula, the uniform soup is the mean, the greedy soup keeps only
ingredients that improve it (fake accuracies), BN statistics are recomputed
to the data's, and the written checkpoint loads strictly with tools/test.py's
loader."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmctune.apis import load_model_checkpoint
from mmctune.registry import MODELS

from ..conftest import tiny_classifier, write_tiny_config
from .tool_loader import load_tool

we = load_tool('model_converters/weight_ensemble.py')
PREPROCESSOR = dict(type='mmpretrain.ClsDataPreprocessor')


def _noisy(sd, scale, seed):
    g = torch.Generator().manual_seed(seed)
    return {
        k:
        v + scale * torch.randn(v.shape, generator=g)
        if v.is_floating_point() else v.clone()
        for k, v in sd.items()
    }


def test_interpolation_is_the_formula():
    sd = tiny_classifier(data_preprocessor=PREPROCESSOR).state_dict()
    finetuned = _noisy(sd, 0.1, 1)
    pre = {
        k[len('backbone.'):]: v
        for k, v in _noisy(sd, 0.1, 2).items() if k.startswith('backbone.')
    }
    for alpha in (0.0, 0.3, 1.0):
        out = we.interpolate(pre, finetuned, alpha)
        assert out.keys() == finetuned.keys()
        for k, v in out.items():
            b = k[len('backbone.'):]
            if k.startswith('backbone.') and v.is_floating_point():
                torch.testing.assert_close(v, (1 - alpha) * pre[b] +
                                           alpha * finetuned[k])
            else:  # the head, integer counters: the fine-tuned model's
                assert torch.equal(v, finetuned[k]), k
    some = 'backbone.layer1.0.conv1.weight'
    assert not torch.equal(
        we.interpolate(pre, finetuned, 0.3)[some], finetuned[some])
    with pytest.raises(KeyError, match='lacks'):
        we.interpolate({}, finetuned, 0.5)


def test_uniform_soup_is_the_mean():
    sd = tiny_classifier(data_preprocessor=PREPROCESSOR).state_dict()
    runs = [_noisy(sd, 0.1, s) for s in range(3)]
    soup = we.uniform_soup(runs)
    for k, v in soup.items():
        if v.is_floating_point():
            torch.testing.assert_close(
                v, (runs[0][k] + runs[1][k] + runs[2][k]) / 3)
        else:
            assert torch.equal(v, runs[0][k])


def test_greedy_soup_keeps_only_improving_ingredients():
    runs = [{'w': torch.tensor([float(v)])} for v in (1, 2, 3, 4)]
    own = [0.5, 0.9, 0.7, 0.8]  # order tried: #1, #3, #2, #0
    # fake validation accuracy of a soup, by its weight (the mean of w)
    fake = {3.0: 0.85, 2.5: 0.95, 2.0: 0.95}
    calls = []

    def evaluate(sd):
        calls.append(float(sd['w']))
        return fake[float(sd['w'])]

    soup, kept, trials = we.greedy_soup(runs, own, evaluate, log=lambda s: 0)
    # {2, 4} -> 0.85 < 0.9: left out; {2, 3} -> 0.95: kept; {2, 3, 1} -> 0.95,
    # not better: left out
    assert calls == [3.0, 2.5, 2.0]
    assert kept == [1, 2]
    assert float(soup['w']) == 2.5
    assert [t['score'] for t in trials] == [0.9, 0.85, 0.95, 0.95]


def _batches(n_batches=3, n=8, seed=0):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    return [
        dict(
            inputs=[
                torch.rand(1, 28, 28, generator=g) * 255 for _ in range(n)
            ],
            data_samples=[DataSample().set_gt_label(i % 3) for i in range(n)])
        for _ in range(n_batches)
    ]


def test_recompute_bn_sets_the_statistics_of_the_data():
    model = MODELS.build(
        dict(
            type='mmpretrain.ImageClassifier',
            backbone=dict(
                type='mmpretrain.ResNet_CIFAR',
                depth=18,
                in_channels=1,
                stem_channels=4,
                base_channels=4,
                frozen_stages=1,
                out_indices=(3, )),
            neck=dict(type='mmpretrain.GlobalAveragePooling'),
            head=dict(
                type='mmpretrain.LinearClsHead',
                num_classes=3,
                in_channels=32,
                loss=dict(type='mmpretrain.CrossEntropyLoss')),
            data_preprocessor=dict(
                type='mmpretrain.ClsDataPreprocessor',
                mean=[100.0],
                std=[50.0])))
    model.init_weights()
    bns = {
        n: m
        for n, m in model.named_modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    }
    for m in bns.values():  # stale statistics
        m.running_mean.fill_(3.0)
        m.running_var.fill_(7.0)
    before = {n: m.running_mean.clone() for n, m in bns.items()}
    batches = _batches()
    names = we.recompute_bn(model, batches)
    assert not model.training
    assert all(m.momentum == 0.1 for m in bns.values())
    # the stem and stage 1 are frozen (eval mode): not recomputed
    assert 'backbone.bn1' not in names
    assert not any(n.startswith('backbone.layer1.') for n in names)
    for n in ('backbone.bn1', 'backbone.layer1.0.bn1'):
        assert torch.equal(bns[n].running_mean, before[n])
    # the first BN of stage 2 holds the mean over the batches of its input's
    # batch mean and unbiased batch variance (a cumulative average)
    assert 'backbone.layer2.0.bn1' in names
    block = model.backbone.layer2[0]
    stats = []
    with torch.no_grad():
        for data in batches:
            x = model.data_preprocessor(data, False)['inputs']
            x = model.backbone.relu(
                model.backbone.norm1(model.backbone.conv1(x)))
            x = model.backbone.layer1(x)
            y = block.conv1(x)
            stats.append((y.mean((0, 2, 3)), y.var((0, 2, 3), unbiased=True)))
    mean = torch.stack([s[0] for s in stats]).mean(0)
    var = torch.stack([s[1] for s in stats]).mean(0)
    torch.testing.assert_close(block.bn1.running_mean, mean)
    torch.testing.assert_close(block.bn1.running_var, var)


@pytest.fixture
def ensemble_setup(tiny_fmnist, tmp_path):
    """A tiny config (the demo's CE-tuning on the tiny Fashion-MNIST) whose
    pre-trained backbone is a checkpoint written here, and three
    'fine-tuned' checkpoints of its model."""
    cfg_path = write_tiny_config(tmp_path / 'base.py', tiny_fmnist)
    cfg = Config.fromfile(cfg_path)
    cfg.model.backbone.pop('init_cfg', None)
    cfg.model.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(cfg.model)
    model.init_weights()
    sd = model.state_dict()
    pre = str(tmp_path / 'pretrained.pth')
    torch.save(
        dict(
            state_dict={
                k: v
                for k, v in _noisy(sd, 0.05, 9).items()
                if k.startswith('backbone.')
            }), pre)
    runs = []
    for seed in range(3):
        path = str(tmp_path / f'run{seed}.pth')
        torch.save(
            dict(
                state_dict=_noisy(sd, 0.05, seed),
                meta=dict(dataset_meta=dict(classes=list('abcdefghij')))),
            path)
        runs.append(path)
    config = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        extra=f"model = dict(backbone=dict(init_cfg=dict(type='Pretrained', "
        f"checkpoint={pre!r}, prefix='backbone.')))\n")
    return config, pre, runs


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
