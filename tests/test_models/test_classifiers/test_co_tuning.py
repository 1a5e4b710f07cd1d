"""Co-Tuning with k-means pseudo source classes: the k-means, the
relationship and the loss against their formulas computed sample by sample
in float64; the hook that prepares them before training, and a resumed run
that keeps them."""
import glob
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmctune.models.classifiers import (CoTuningClassifier,
                                        CoTuningRelationshipHook)
from mmctune.models.utils.kmeans import spherical_kmeans

from ...conftest import ROOT, run_python, tiny_classifier, write_tiny_config


def tiny(**kwargs):
    kwargs.setdefault('num_source_classes', 4)
    return tiny_classifier('CoTuningClassifier', **kwargs)


def batch(n=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 8, 8, generator=g)
    y = torch.arange(n) % 3
    return x, [DataSample().set_gt_label(int(c)) for c in y], y


def test_spherical_kmeans_finds_separated_directions():
    g = torch.Generator().manual_seed(0)
    centres = F.normalize(torch.randn(3, 16, generator=g), dim=1) * 5
    truth = torch.arange(60) % 3
    x = centres[truth] + 0.3 * torch.randn(60, 16, generator=g)
    x = x * torch.rand(60, 1, generator=g).add(0.5)  # norms do not matter
    centroids, assign = spherical_kmeans(x, 3, seed=1)
    # the partition is the truth's, up to the clusters' order
    for c in range(3):
        assert len(set(assign[truth == c].tolist())) == 1
    assert len(set(assign.tolist())) == 3
    torch.testing.assert_close(centroids.norm(dim=1), torch.ones(3))
    # each centroid is its members' normalised mean direction
    xn = F.normalize(x, dim=1)
    for k in range(3):
        torch.testing.assert_close(centroids[k],
                                   F.normalize(xn[assign == k].mean(0), dim=0))
    again, _ = spherical_kmeans(x, 3, seed=1)
    torch.testing.assert_close(again, centroids)  # seeded


def test_kmeans_leaves_no_cluster_empty():
    # 4 distinct directions, each repeated: 4 clusters from 12 points
    x = torch.eye(4).repeat(3, 1)
    _, assign = spherical_kmeans(x, 4, seed=0)
    assert sorted(torch.bincount(assign, minlength=4).tolist()) == [3] * 4
    with pytest.raises(ValueError, match='k=13 clusters for 12 points'):
        spherical_kmeans(x, 13)
    # a zero vector has no direction: it neither seeds nor moves a centroid
    with_zero = torch.cat([torch.zeros(1, 4), x])
    for seed in range(5):
        centroids, assign = spherical_kmeans(with_zero, 4, seed=seed)
        torch.testing.assert_close(centroids.norm(dim=1), torch.ones(4))
        assert sorted(torch.bincount(assign[1:]).tolist()) == [3] * 4
    with pytest.raises(ValueError, match='only 1 of the 2 points'):
        spherical_kmeans(torch.tensor([[0.0, 0.0], [1.0, 0.0]]), 2)


def test_relationship_is_the_mean_source_prediction_per_class():
    model = tiny(temperature=0.2)
    model.eval()
    x, _, y = batch()
    with torch.no_grad():
        feats = model.pooled_features(x)
    assert model.compute_relationship(feats, y, seed=0) == []
    assert bool(model.relationship_ready)
    protos = model.prototypes.detach().double()
    centroids, _ = spherical_kmeans(feats, 4, seed=0)
    torch.testing.assert_close(model.prototypes.detach(), centroids)
    rel = model.relationship.double()
    for c in range(3):
        rows = []
        for i in (y == c).nonzero().flatten().tolist():
            z = feats[i].double()
            z = z / max(float(z.norm()), 1e-12)  # (a zero vector: 0)
            logits = [float(z @ p) / 0.2 for p in protos]
            zsum = sum(math.exp(v) for v in logits)
            rows.append([math.exp(v) / zsum for v in logits])
        expected = torch.tensor(rows, dtype=torch.float64).mean(0)
        torch.testing.assert_close(rel[c], expected, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(rel.sum(1), torch.ones(3, dtype=torch.float64))


def test_a_class_with_no_image_gets_a_uniform_row():
    model = tiny()
    with torch.no_grad():
        feats = model.pooled_features(batch()[0])
    labels = torch.tensor([0, 1] * 4 + [0])  # no class 2
    assert model.compute_relationship(feats, labels) == [2]
    torch.testing.assert_close(model.relationship[2], torch.full((4, ), 0.25))


def test_loss_equals_its_formula():
    """loss_cotuning = lambda / B sum_i -sum_k R[y_i, k] log softmax_k(
    z_i . c_k / tau), on L2-normalised z and prototypes c."""
    model = tiny(temperature=0.5, loss_weight=1.7)
    x, samples, y = batch()
    with pytest.raises(RuntimeError, match='CoTuningRelationshipHook'):
        model.loss(x, samples)
    with torch.no_grad():
        model.compute_relationship(model.pooled_features(x), y)
    model.train()
    losses = model.loss(x, samples)
    with torch.no_grad():
        z = model.pooled_features(x).double()  # train-mode BN as in loss
        protos = model.prototypes.double()
        rel = model.relationship.double()
        ce = F.cross_entropy(model.head(model.extract_feat(x)), y)
    total = 0.0
    for i in range(x.size(0)):
        zi = z[i] / max(float(z[i].norm()), 1e-12)
        logits = [float(zi @ (p / p.norm())) / 0.5 for p in protos]
        lse = math.log(sum(math.exp(v) for v in logits))
        total += -sum(
            float(rel[int(y[i]), k]) * (logits[k] - lse) for k in range(4))
    expected = 1.7 * total / x.size(0)
    assert losses['loss_cotuning'].item() == pytest.approx(expected, rel=1e-5)
    assert losses['loss_ce'].item() == pytest.approx(ce.item(), rel=1e-5)
    # the source head and the backbone learn from it
    losses['loss_cotuning'].backward()
    assert model.prototypes.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_soft_labels_mix_the_relationship_rows():
    model = tiny()
    x, _, y = batch()
    with torch.no_grad():
        model.compute_relationship(model.pooled_features(x), y)
    model.eval()
    score = torch.tensor([0.25, 0.75, 0.0])
    soft = [DataSample().set_gt_score(score) for _ in range(2)]
    hard = [[DataSample().set_gt_label(c) for _ in range(2)] for c in (0, 1)]
    xs = x[:2]
    model.loss_weight = 1.0
    get = lambda s: model.loss(xs, s)['loss_cotuning'].item()  # noqa: E731
    # linear in the target: the mixture of the two classes' losses
    assert get(soft) == pytest.approx(
        0.25 * get(hard[0]) + 0.75 * get(hard[1]), rel=1e-5)


def test_checkpoint_and_prediction():
    model = tiny()
    x, _, y = batch()
    with torch.no_grad():
        model.compute_relationship(model.pooled_features(x), y)
    keys = model.state_dict().keys()
    assert {'prototypes', 'relationship', 'relationship_ready'} <= set(keys)
    assert {'prototypes', 'relationship',
            'relationship_ready'} == set(CoTuningClassifier.TRAIN_ONLY)
    other = tiny()
    other.load_state_dict(model.state_dict())
    assert bool(other.relationship_ready)
    torch.testing.assert_close(other.relationship, model.relationship)
    # prediction is the target head's, as mmpretrain's ImageClassifier's
    model.eval()
    pred = model.predict(x)
    logits = model.head(model.extract_feat(x))
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in pred]), logits.softmax(1))


def test_too_many_source_classes_is_an_error():
    model = tiny(num_source_classes=20)
    x, _, y = batch()
    with torch.no_grad(), pytest.raises(
            ValueError, match='at most the number of'):
        model.compute_relationship(model.pooled_features(x), y)
    with pytest.raises(ValueError, match='num_source_classes'):
        tiny(num_source_classes=1)


class _Runner:

    def __init__(self, cfg):
        self.cfg = Config(cfg)


def test_hook_reads_the_training_images_with_the_test_pipeline():
    train = dict(
        batch_size=4,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(
            type='RepeatDataset',
            times=2,
            dataset=dict(type='X', pipeline=['train'])))
    val = dict(dataset=dict(type='X', pipeline=['test']))
    cfg = CoTuningRelationshipHook()._loader_cfg(
        _Runner(dict(train_dataloader=train, val_dataloader=val)))
    assert cfg['dataset']['dataset']['pipeline'] == ['test']
    assert cfg['sampler'] == dict(
        type='DefaultSampler', shuffle=False, round_up=True)
    assert train['dataset']['dataset']['pipeline'] == ['train']  # a copy
    kept = CoTuningRelationshipHook(pipeline=None)._loader_cfg(
        _Runner(dict(train_dataloader=train)))
    assert kept['dataset']['dataset']['pipeline'] == ['train']
    # a config that only tests at the end: the test loader's pipeline
    test = dict(dataset=dict(type='X', pipeline=['test only']))
    cfg = CoTuningRelationshipHook()._loader_cfg(
        _Runner(
            dict(
                train_dataloader=train,
                val_dataloader=None,
                test_dataloader=test)))
    assert cfg['dataset']['dataset']['pipeline'] == ['test only']
    with pytest.raises(ValueError, match='no val_dataloader'):
        CoTuningRelationshipHook()._loader_cfg(
            _Runner(dict(train_dataloader=train)))
    with pytest.raises(ValueError, match='list of transforms'):
        CoTuningRelationshipHook(pipeline='train')


def test_demo_config_trains_and_a_resumed_run_keeps_the_relationship(
        tiny_fmnist, tmp_path):
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base='configs/cotuning/r18-tiny_simclr_fmnist.py',
        extra='model.update(num_source_classes=8)\n'
        'train_cfg = dict(max_epochs=2, val_interval=2)\n')
    work = str(tmp_path / 'work')
    train = osp.join(ROOT, 'tools', 'train.py')
    r = run_python(
        args=[
            train, cfg, '--work-dir', work, '--cfg-options',
            'train_cfg.max_epochs=1'
        ],
        timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    assert ('Co-Tuning: 8 pseudo source classes (spherical k-means) and '
            'the relationship from 64 training images') in r.stdout
    assert 'loss_cotuning' in r.stdout

    def state(path):
        return torch.load(
            path, map_location='cpu', weights_only=False)['state_dict']

    first = state(osp.join(work, 'epoch_1.pth'))
    r = run_python(
        args=[train, cfg, '--work-dir', work, '--resume'], timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'Co-Tuning: relationship restored from the checkpoint' in r.stdout
    assert 'pseudo source classes' not in r.stdout
    second = state(osp.join(work, 'epoch_2.pth'))
    torch.testing.assert_close(second['relationship'], first['relationship'])
    assert len(glob.glob(osp.join(work, 'epoch_*.pth'))) >= 1
