"""TCLLoss against its formula, one anchor at a time."""
import math

import pytest
import torch

from mmctune.models.losses import SupConLoss, TCLLoss
from .test_supcon import rand_inputs


def reference(v, y, v_pos=None, v_neg=None, tau=0.1, k1=5000.0, k2=1.0):
    v, v_pos, v_neg = (None if t is None else t.double()
                       for t in (v, v_pos, v_neg))
    n = v.size(0)
    total = 0.0
    for i in range(n):
        pos = [v[j] for j in range(n) if j != i and y[j] == y[i]]
        neg = [v[j] for j in range(n) if y[j] != y[i]]
        if v_pos is not None:
            pos.append(v_pos[i])
        if v_neg is not None:
            neg.append(v_neg[i])
        if not pos:
            continue
        denom = sum(math.exp(float(v[i] @ p) / tau) for p in pos) \
            + k1 * sum(math.exp(-float(v[i] @ p)) for p in pos) \
            + k2 * sum(math.exp(float(v[i] @ a) / tau) for a in neg)
        total += -sum(float(v[i] @ p) / tau - math.log(denom)
                      for p in pos) / len(pos)
    return total / n


@pytest.mark.parametrize('pairs', ['none', 'both'])
@pytest.mark.parametrize('k1,k2', [(5000.0, 1.0), (10.0, 0.5), (0.0, 2.0)])
def test_equals_formula(pairs, k1, k2):
    v, y, vp, vn = rand_inputs()
    vp, vn = (vp, vn) if pairs == 'both' else (None, None)
    got = TCLLoss(k1=k1, k2=k2)(v, y, vp, vn)
    assert got.item() == pytest.approx(
        reference(v, y, vp, vn, 0.1, k1, k2), rel=1e-5)


def test_k1_0_k2_1_is_supcon():
    v, y, vp, vn = rand_inputs()
    grads = []
    for loss in (TCLLoss(k1=0.0, k2=1.0), SupConLoss(temperature=0.1)):
        x = v.clone().requires_grad_(True)
        value = loss(x, y, vp, vn)
        value.backward()
        grads.append((value.detach(), x.grad))
    torch.testing.assert_close(grads[0][0], grads[1][0])
    torch.testing.assert_close(grads[0][1], grads[1][1])


def test_stable_at_low_temperature():
    v, y, vp, vn = rand_inputs()
    got = TCLLoss(temperature=0.005)(v, y, vp, vn)
    assert torch.isfinite(got)
    assert got.item() == pytest.approx(
        reference(v, y, vp, vn, tau=0.005), rel=1e-4)


def test_bad_arguments():
    with pytest.raises(ValueError, match='k1'):
        TCLLoss(k1=-1)
