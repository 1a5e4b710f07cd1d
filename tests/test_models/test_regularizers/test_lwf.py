"""LwF on a tiny ResNet inside RegularizedClassifier: the distillation of
the instance-similarity distributions, computed here sample by sample in
float64."""
import math

import pytest
import torch
from mmpretrain.structures import DataSample

from ...conftest import tiny_classifier


def tiny(**cfg):
    return tiny_classifier(
        'RegularizedClassifier',
        regularizers=[dict(type='LwFRegularizer', **cfg)])


def batch(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 8, 8, generator=g)
    return x, [DataSample().set_gt_label(i % 3) for i in range(n)]


def shift_backbone(model, scale, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g))


def pooled(model, backbone, x):
    return model.head.pre_logits(model.neck(backbone(x)))


def test_lwf_equals_its_formula():
    """lambda / B sum_i KL(softmax(t_i / T) || softmax(s_i / T)) with
    t_ij = z0_i . z0_j, s_ij = z_i . z0_j on L2-normalised pooled features
    of the fine-tuned backbone (train mode) and the pre-trained copy (eval
    mode)."""
    model = tiny(loss_weight=3.0, temperature=0.5)
    shift_backbone(model, 0.05)
    model.train()
    x, samples = batch()
    got = model.loss(x, samples)['loss_lwf'].item()

    with torch.no_grad():
        z = pooled(model, model.backbone, x).double()
        z0 = pooled(model, model.reference, x).double()
    n = x.size(0)
    z = [v / v.norm() for v in z]
    z0 = [v / v.norm() for v in z0]
    total = 0.0
    for i in range(n):
        t = [float(z0[i] @ z0[j]) / 0.5 for j in range(n)]
        s = [float(z[i] @ z0[j]) / 0.5 for j in range(n)]
        zt = sum(math.exp(v) for v in t)
        zs = sum(math.exp(v) for v in s)
        for j in range(n):
            q, p = math.exp(t[j]) / zt, math.exp(s[j]) / zs
            total += q * math.log(q / p)
    expected = 3.0 * total / n
    assert expected > 1e-4  # the check is not vacuous
    assert got == pytest.approx(expected, rel=1e-4)


def test_lwf_is_zero_at_the_pretrained_model_and_grows_away_from_it():
    model = tiny()
    model.eval()  # the reference's BN mode: the same function
    x, samples = batch()
    assert model.loss(x, samples)['loss_lwf'].item() == pytest.approx(
        0.0, abs=1e-7)
    values = []
    for scale in (0.02, 0.2):
        m = tiny()
        m.eval()
        shift_backbone(m, scale)
        values.append(m.loss(x, samples)['loss_lwf'].item())
    assert 0 < values[0] < values[1]


def test_gradient_reaches_the_backbone_not_the_reference():
    model = tiny()
    shift_backbone(model, 0.05)
    x, samples = batch()
    model.loss(x, samples)['loss_lwf'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.reference.conv1.weight.grad is None
    assert model.head.fc.weight.grad is None  # the head is not in it


def test_lwf_sits_beside_other_regularisers():
    model = tiny_classifier(
        'RegularizedClassifier',
        regularizers=[
            dict(type='LwFRegularizer'),
            dict(type='DELTARegularizer', attention=False)
        ])
    x, samples = batch()
    losses = model.loss(x, samples)
    assert {'loss_ce', 'loss_lwf', 'loss_delta'} <= set(losses)


def test_bad_temperature():
    with pytest.raises(ValueError, match='temperature'):
        tiny(temperature=0)
