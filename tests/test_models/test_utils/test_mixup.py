"""HardnessDirectedMixup against a brute-force search; ManifoldMixup."""
import pytest
import torch
import torch.nn.functional as F

from mmctune.models.utils import HardnessDirectedMixup, ManifoldMixup


def batch(n=16, c=6, k=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, c, generator=g)
    y = torch.randint(0, k, (n, ), generator=g)
    return z, y, F.one_hot(y, k).float()


def cos(a, b):
    return float(F.cosine_similarity(a, b, dim=0))


@pytest.mark.parametrize('lambda_p,lambda_n,alpha', [(0.0, 0.8, 1.0),
                                                     (0.5, 0.2, 0.1)])
def test_pairs_match_brute_force(lambda_p, lambda_n, alpha):
    z, y, y1h = batch()
    y[3] = 9  # an anchor whose class no other sample has
    y1h = F.one_hot(y, 10).float()
    miner = HardnessDirectedMixup(
        alpha=alpha, lambda_n=lambda_n, lambda_p=lambda_p, seed=1)
    pos, pos_y, neg, neg_y = miner(z, y1h)
    n = len(y)
    for i in range(n):
        same = [j for j in range(n) if j != i and y[j] == y[i]]
        other = [j for j in range(n) if y[j] != y[i]]
        hp = min(same, key=lambda j: cos(z[i], z[j])) if same else i
        hn = max(other, key=lambda j: cos(z[i], z[j]))
        lam = float(pos_y[i, y[hp]])  # the weight of the positive's class
        assert lambda_p - 1e-6 <= lam <= 1 + 1e-6
        torch.testing.assert_close(pos[i], lam * z[hp] + (1 - lam) * z[hn])
        torch.testing.assert_close(pos_y[i],
                                   lam * y1h[hp] + (1 - lam) * y1h[hn])
        # the negative's partner: some other-class sample, weight >= lambda_n
        lam_n = 1 - float(neg_y[i, y[i]])
        assert lambda_n - 1e-6 <= lam_n <= 1 + 1e-6
        partners = [
            j for j in other if torch.allclose(
                neg[i], (1 - lam_n) * z[i] + lam_n * z[j], atol=1e-5)
        ]
        assert partners, f'anchor {i}: no other-class partner explains it'
        assert y[partners[0]] != y[i]


def test_partner_choice_is_random_and_seeded():
    z, _, y1h = batch(n=64, k=2)
    a = HardnessDirectedMixup(seed=0)(z, y1h)
    b = HardnessDirectedMixup(seed=0)(z, y1h)
    c = HardnessDirectedMixup(seed=1)(z, y1h)
    for x, x2 in zip(a, b):
        torch.testing.assert_close(x, x2)
    assert not torch.allclose(a[2], c[2])


def test_single_class_batch_has_no_negatives():
    z, _, _ = batch(n=5)
    y1h = F.one_hot(torch.zeros(5, dtype=torch.long), 3).float()
    pos, pos_y, neg, neg_y = HardnessDirectedMixup(seed=0)(z, y1h)
    assert neg is None and neg_y is None
    for i in range(5):  # the hardest real positive, unmixed
        hp = min((j for j in range(5) if j != i),
                 key=lambda j: cos(z[i], z[j]))
        torch.testing.assert_close(pos[i], z[hp])


def test_lambda_follows_beta():
    miner = HardnessDirectedMixup(alpha=0.5, seed=0)
    lam = miner.sample_lambda(20000, torch.zeros(1)).double()
    # Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1))
    assert lam.mean().item() == pytest.approx(0.5, abs=0.01)
    assert lam.var().item() == pytest.approx(1 / 8, abs=0.005)


def test_gradient_flows_to_the_mixed_features():
    z, _, y1h = batch()
    z.requires_grad_(True)
    pos, _, neg, _ = HardnessDirectedMixup(seed=0)(z, y1h)
    (pos.sum() + neg.sum()).backward()
    assert z.grad.abs().sum() > 0


def test_manifold_mixup():
    z, y, y1h = batch()
    mixed, mixed_y, neg, neg_y = ManifoldMixup(alpha=1.0, seed=0)(z, y1h)
    assert neg is None and neg_y is None
    for i in range(len(z)):
        lam = float(mixed_y[i, y[i]])
        if lam == 1.0:
            continue
        partners = [
            j for j in range(len(z)) if
            torch.allclose(mixed[i], lam * z[i] + (1 - lam) * z[j], atol=1e-5)
            or torch.allclose(mixed[i], z[i], atol=1e-5)
        ]
        assert partners


def test_bad_arguments():
    with pytest.raises(ValueError, match='lambda_n'):
        HardnessDirectedMixup(lambda_n=1.5)
    with pytest.raises(ValueError, match='alpha'):
        HardnessDirectedMixup(alpha=0)


def test_generator_state_round_trip():
    """What RandomStateHook saves lets a new miner (a resumed run) draw the
    pairs the old one would have drawn next."""
    torch.manual_seed(0)
    z = torch.randn(6, 4)
    y = F.one_hot(torch.tensor([0, 0, 1, 1, 2, 2]), 3).float()
    old = HardnessDirectedMixup(seed=3)
    old(z, y)
    state = old.get_rng_state()
    new = HardnessDirectedMixup(seed=None)  # would draw a seed of its own
    new.set_rng_state(state)
    for a, b in zip(old(z, y), new(z, y)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # and the draws do move on: a miner from the start differs
    again = HardnessDirectedMixup(seed=3)(z, y)
    assert not torch.equal(again[2], new(z, y)[2])


@pytest.mark.parametrize('cls', [HardnessDirectedMixup, ManifoldMixup])
def test_drawing_its_seed_leaves_the_global_generators_alone(cls):
    """Without a seed the miner draws one (mmengine's sync_random_seed, from
    NumPy's global generator) and puts that generator back: the data
    pipeline's crops and flips, which draw from it, stay CE-tuning's."""
    import numpy as np
    z, _, y1h = batch()
    np.random.seed(3)
    expected = np.random.rand(5)
    np.random.seed(3)
    torch_state = torch.get_rng_state()
    miner = cls(alpha=1.0)
    miner(z, y1h)
    assert miner.seed is not None
    np.testing.assert_array_equal(np.random.rand(5), expected)
    assert torch.equal(torch.get_rng_state(), torch_state)
