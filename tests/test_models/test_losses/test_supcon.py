"""SupConLoss / FocalSupConLoss against a direct per-anchor loop."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmctune.models.losses import FocalSupConLoss, SupConLoss


def reference(v,
              y,
              v_pos=None,
              v_neg=None,
              tau=0.07,
              focal=False,
              positives='all'):
    """The formula, one anchor and one pair at a time, in float64."""
    v, v_pos, v_neg = (None if t is None else t.double()
                       for t in (v, v_pos, v_neg))
    n = v.size(0)
    total = 0.0
    for i in range(n):
        # candidates (feature, is_positive) of anchor i
        cands = []
        for j in range(n):
            if j == i:
                continue
            if y[j] == y[i]:
                if positives == 'all':
                    cands.append((v[j], True))
            else:
                cands.append((v[j], False))
        if v_pos is not None:
            cands.append((v_pos[i], True))
        if v_neg is not None:
            cands.append((v_neg[i], False))
        pos = [c for c, is_pos in cands if is_pos]
        if not pos:
            continue
        denom = sum(math.exp(float(v[i] @ c) / tau) for c, _ in cands)
        acc = 0.0
        for c in pos:
            p = math.exp(float(v[i] @ c) / tau) / denom
            w = (1 - p) if focal else 1.0
            acc += w * math.log(p)
        total += -acc / len(pos)
    return total / n


def rand_inputs(n=12, d=8, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    v = F.normalize(torch.randn(n, d, generator=g), dim=1)
    y = torch.randint(0, k, (n, ), generator=g)
    vp = F.normalize(torch.randn(n, d, generator=g), dim=1)
    vn = F.normalize(torch.randn(n, d, generator=g), dim=1)
    return v, y, vp, vn


@pytest.mark.parametrize('loss_cls', [SupConLoss, FocalSupConLoss])
@pytest.mark.parametrize('pairs', ['none', 'pos', 'both'])
@pytest.mark.parametrize('positives', ['all', 'generated'])
def test_equals_per_anchor_loop(loss_cls, pairs, positives):
    if positives == 'generated' and pairs == 'none':
        pytest.skip('no generated positive to keep')
    v, y, vp, vn = rand_inputs()
    vp = vp if pairs in ('pos', 'both') else None
    vn = vn if pairs == 'both' else None
    loss = loss_cls(temperature=0.1, positives=positives)
    got = loss(v, y, vp, vn)
    want = reference(
        v, y, vp, vn, tau=0.1, focal=loss_cls.focal, positives=positives)
    assert got.item() == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_one_hot_labels_same_as_indices():
    v, y, vp, vn = rand_inputs()
    loss = FocalSupConLoss()
    torch.testing.assert_close(
        loss(v,
             F.one_hot(y, 3).float(), vp, vn), loss(v, y, vp, vn))


def test_anchor_without_positive_adds_nothing_and_no_nan():
    v, _, _, _ = rand_inputs(n=5)
    v.requires_grad_(True)
    y = torch.tensor([0, 0, 1, 2, 3])  # anchors 2-4 have no positive
    loss = FocalSupConLoss()(v, y)
    want = reference(v.detach(), y, focal=True)
    assert loss.item() == pytest.approx(want, rel=1e-5)
    loss.backward()
    assert torch.isfinite(v.grad).all()
    # no positive anywhere: zero, finite gradient
    v2 = v.detach().clone().requires_grad_(True)
    loss2 = SupConLoss()(v2, torch.arange(5))
    loss2.backward()
    assert loss2.item() == 0.0 and torch.isfinite(v2.grad).all()


def test_stable_at_low_temperature():
    """float32 exp(1 / 0.005) is inf: a naive softmax would give NaN."""
    tau = 0.005
    assert torch.isinf(torch.exp(torch.tensor(1 / tau)))
    v, y, vp, vn = rand_inputs()
    got = FocalSupConLoss(temperature=tau)(v, y, vp, vn)
    want = reference(v, y, vp, vn, tau=tau, focal=True)
    assert got.item() == pytest.approx(want, rel=1e-4, abs=1e-6)


def test_detached_focal_weight_changes_only_the_gradient():
    v, y, vp, vn = rand_inputs()
    grads = []
    for detach in (False, True):
        x = v.clone().requires_grad_(True)
        loss = FocalSupConLoss(detach_focal_weight=detach)(x, y, vp, vn)
        loss.backward()
        grads.append((loss.item(), x.grad))
    assert grads[0][0] == pytest.approx(grads[1][0])
    assert not torch.allclose(grads[0][1], grads[1][1])


def test_bad_arguments():
    with pytest.raises(ValueError, match='positives'):
        SupConLoss(positives='mined')
    with pytest.raises(ValueError, match='temperature'):
        SupConLoss(temperature=0)
