import json
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmctune.evaluation.functional import weighted_knn_predict
from ..conftest import ROOT, run_python, write_tiny_config


def unit(deg):
    return [math.cos(math.radians(deg)), math.sin(math.radians(deg))]


def test_toy_set_known_by_hand():
    """Query at 0 degrees. One class-0 sample at cos 0.95, three class-1
    samples at cos 0.80, 0.79, 0.78. k=1: class 0. k=4: with tau=0.07 the
    closer one outweighs three (e^(0.95/0.07) = 7.9e5 > 2.4e5), with tau=1
    the three win (e^0.95 = 2.6 < 6.6)."""
    bank = torch.tensor(
        [unit(math.degrees(math.acos(c))) for c in (0.95, 0.80, 0.79, 0.78)])
    labels = torch.tensor([0, 1, 1, 1])
    query = torch.tensor([[1.0, 0.0]])
    sharp = weighted_knn_predict(
        bank, labels, query, ks=(1, 4), temperature=0.07)
    flat = weighted_knn_predict(bank, labels, query, ks=(4, ), temperature=1.0)
    assert sharp[1].tolist() == [0] and sharp[4].tolist() == [0]
    assert flat[4].tolist() == [1]


def brute_force(bank, labels, queries, k, tau, num_classes):
    sim = F.normalize(queries, dim=1) @ F.normalize(bank, dim=1).t()
    top, idx = sim.sort(dim=1, descending=True)
    votes = torch.zeros(len(queries), num_classes)
    for i in range(len(queries)):
        for j in range(min(k, len(bank))):
            votes[i, labels[idx[i, j]]] += math.exp(top[i, j] / tau)
    return votes.argmax(1)


def test_chunked_equals_unchunked_and_brute_force():
    g = torch.Generator().manual_seed(0)
    bank = torch.randn(500, 32, generator=g)
    labels = torch.randint(0, 5, (500, ), generator=g)
    queries = torch.randn(120, 32, generator=g)
    ks = (1, 10, 20, 100, 600)  # 600 > bank size: the whole bank votes
    whole = weighted_knn_predict(bank, labels, queries, ks, 0.07, 5)
    chunked = weighted_knn_predict(
        bank, labels, queries, ks, 0.07, 5, query_chunk=7, bank_chunk=13)
    for k in ks:
        assert torch.equal(whole[k], chunked[k])
        assert torch.equal(whole[k],
                           brute_force(bank, labels, queries, k, 0.07, 5))


def test_empty_is_an_error():
    with pytest.raises(ValueError, match='non-empty'):
        weighted_knn_predict(
            torch.zeros(0, 4), torch.zeros(0), torch.ones(2, 4))


def test_feature_eval_tool_on_a_checkpoint(tmp_path, tiny_fmnist):
    from ..test_tools.test_train import TRAIN
    cfg = write_tiny_config(tmp_path / 'tiny.py', tiny_fmnist)
    work = tmp_path / 'work'
    assert run_python(
        args=[TRAIN, cfg, '--work-dir', str(work)]).returncode == 0
    out = run_python(args=[
        osp.join(ROOT, 'tools/analysis_tools/feature_eval.py'), cfg,
        str(work / 'epoch_1.pth'), '--ks', '5', '10', '--work-dir',
        str(tmp_path / 'feat')
    ])
    assert out.returncode == 0, out.stdout[-3000:]
    result = json.loads((tmp_path / 'feat' / 'features.json').read_text())
    assert set(result) == {
        'checkpoint', 'knn/top1_k5', 'knn/top1_k10', 'knn/top1_best',
        'feat/s_dbw'
    }
    assert result['feat/s_dbw'] > 0
    assert result['knn/top1_best'] == max(result['knn/top1_k5'],
                                          result['knn/top1_k10'])
    assert '| knn/top1_k5 |' in out.stdout


def test_feature_eval_takes_a_pretraining_checkpoint(tmp_path, tiny_fmnist):
    """A SimCLR-style checkpoint: backbone and a projection neck, no
    classifier. Its backbone is loaded, strictly."""
    from ..test_tools.test_train import TRAIN
    cfg = write_tiny_config(tmp_path / 'tiny.py', tiny_fmnist)
    work = tmp_path / 'work'
    assert run_python(
        args=[TRAIN, cfg, '--work-dir', str(work)]).returncode == 0
    sd = torch.load(work / 'epoch_1.pth', weights_only=False)['state_dict']
    simclr = {k: v for k, v in sd.items() if k.startswith('backbone.')}
    simclr['neck.mlp.0.weight'] = torch.zeros(256, 128)
    torch.save({'state_dict': simclr}, tmp_path / 'simclr.pth')
    out = run_python(args=[
        osp.join(ROOT, 'tools/analysis_tools/feature_eval.py'), cfg,
        str(tmp_path / 'simclr.pth'), '--ks', '5', '--no-s-dbw', '--work-dir',
        str(tmp_path / 'feat')
    ])
    assert out.returncode == 0, out.stdout[-3000:]
    assert 'loaded the backbone of' in out.stdout
    # a K larger than the bank is refused before any feature is extracted
    big = run_python(args=[
        osp.join(ROOT, 'tools/analysis_tools/feature_eval.py'), cfg,
        str(tmp_path /
            'simclr.pth'), '--ks', '5', '100000', '--no-s-dbw', '--work-dir',
        str(tmp_path / 'feat_big')
    ])
    assert big.returncode != 0
    assert 'kNN with K = [100000] needs at least that many' in big.stdout
    assert 'the bank (the training set) has' in big.stdout
    # without backbone keys: refused, naming them
    torch.save({'state_dict': {
        'neck.w': torch.zeros(1)
    }}, tmp_path / 'bad.pth')
    bad = run_python(args=[
        osp.join(ROOT, 'tools/analysis_tools/feature_eval.py'), cfg,
        str(tmp_path / 'bad.pth')
    ])
    assert bad.returncode != 0 and 'backbone.' in bad.stdout
