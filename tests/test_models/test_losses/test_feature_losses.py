"""BSS and M&M's triplet loss against their formulas computed another way."""
import itertools

import pytest
import torch

from mmctune.models.losses import BSSLoss, TripletLoss


def _orthonormal(n, k, gen):
    q, _ = torch.linalg.qr(
        torch.randn(n, k, generator=gen, dtype=torch.float64))
    return q


@pytest.mark.parametrize('k', [1, 3])
def test_bss_is_the_smallest_squared_singular_values(k):
    gen = torch.Generator().manual_seed(0)
    sigma = torch.tensor([5.0, 3.0, 2.0, 0.5, 0.25], dtype=torch.float64)
    # a batch of 5 features of 12 dimensions with exactly these singular
    # values
    z = _orthonormal(5, 5, gen) @ torch.diag(sigma) @ _orthonormal(12, 5,
                                                                   gen).T
    loss = BSSLoss(k=k, loss_weight=1.0)(z)
    expected = sorted(sigma.tolist())[:k]
    assert loss.item() == pytest.approx(sum(s * s for s in expected))
    # the same as torch.linalg.svdvals on a random batch, with the weight
    f = torch.randn(16, 32, generator=gen)
    sv = torch.linalg.svdvals(f)
    assert BSSLoss(k=k)(f).item() == pytest.approx(
        0.001 * sv[-k:].pow(2).sum().item(), rel=1e-5)


def test_bss_gradient_shrinks_the_smallest_direction():
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(6, 4, generator=gen, requires_grad=True)
    BSSLoss(k=1, loss_weight=1.0)(z).backward()
    u, s, vh = torch.linalg.svd(z.detach(), full_matrices=False)
    # d(sigma_min^2)/dZ = 2 sigma_min u_min v_min^T
    expected = 2 * s[-1] * torch.outer(u[:, -1], vh[-1])
    torch.testing.assert_close(z.grad, expected, atol=1e-5, rtol=1e-4)


def test_bss_refuses_k_beyond_the_rank():
    with pytest.raises(ValueError, match='singular values'):
        BSSLoss(k=5)(torch.randn(4, 8))
    with pytest.raises(ValueError):
        BSSLoss(k=0)


def test_triplet_equals_a_loop_over_triplets():
    gen = torch.Generator().manual_seed(2)
    z = torch.randn(7, 5, generator=gen)
    y = torch.tensor([0, 0, 1, 1, 1, 2, 0])
    margin = 0.3
    zn = torch.nn.functional.normalize(z, dim=1)
    terms = []
    for a, p, n in itertools.product(range(7), repeat=3):
        if a != p and y[a] == y[p] and y[n] != y[a]:
            d_ap = (zn[a] - zn[p]).pow(2).sum()
            d_an = (zn[a] - zn[n]).pow(2).sum()
            terms.append(torch.clamp(d_ap - d_an + margin, min=0))
    expected = torch.stack(terms).mean()
    loss = TripletLoss(margin=margin)(z, y)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    # one-hot labels give the same
    onehot = torch.nn.functional.one_hot(y, 3).float()
    assert TripletLoss(margin=margin)(z, onehot).item() == pytest.approx(
        loss.item())


def test_triplet_without_a_valid_triplet_is_zero_with_a_graph():
    z = torch.randn(3, 4, requires_grad=True)
    loss = TripletLoss()(z, torch.tensor([0, 1, 2]))  # no positive pair
    assert loss.item() == 0
    loss.backward()
    assert z.grad is not None
