"""Co-Tuning with k-means pseudo source classes: the relationship and the
loss against their formulas computed sample by sample in float64 (the hook
that prepares them before training, and a resumed run that keeps them:
tests/test_engine/test_hooks/test_co_tuning_hook.py)."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmctune.models.classifiers import CoTuningClassifier
from mmctune.models.utils.kmeans import spherical_kmeans
from ...conftest import tiny_classifier


def tiny(**kwargs):
    kwargs.setdefault('num_source_classes', 4)
    return tiny_classifier('CoTuningClassifier', **kwargs)


def batch(n=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 8, 8, generator=g)
    y = torch.arange(n) % 3
    return x, [DataSample().set_gt_label(int(c)) for c in y], y


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
