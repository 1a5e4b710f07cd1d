"""mmctune.engine.weight_ensemble: WiSE-FT interpolation is the formula, the
uniform soup is the mean, the greedy soup keeps only ingredients that
improve it (fake accuracies), BN statistics are recomputed to the data's,
and a chosen state dict is tested on the config's test split."""
import pytest
import torch

from mmctune.engine import weight_ensemble as we
from mmctune.registry import MODELS
from ..conftest import noisy_state_dict, tiny_classifier

PREPROCESSOR = dict(type='mmpretrain.ClsDataPreprocessor')


def test_interpolation_is_the_formula():
    sd = tiny_classifier(data_preprocessor=PREPROCESSOR).state_dict()
    finetuned = noisy_state_dict(sd, 0.1, 1)
    pre = {
        k[len('backbone.'):]: v
        for k, v in noisy_state_dict(sd, 0.1, 2).items()
        if k.startswith('backbone.')
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
    runs = [noisy_state_dict(sd, 0.1, s) for s in range(3)]
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
