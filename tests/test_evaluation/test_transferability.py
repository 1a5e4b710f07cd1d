"""Transferability scores against their published definitions, computed
another way on tiny cases: LogME against the Gaussian marginal likelihood
evaluated densely at the converged alpha, beta (and that point is a
maximum), LEEP and NCE against loops over the papers' sums, H-score against
explicit covariances."""
import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from mmctune.evaluation.functional import (gmm_source_probs, h_score, leep,
                                           logme, nce)
from mmctune.evaluation.functional.transferability import (logme_evidence,
                                                           logme_fit)


def direct_log_evidence(f, y, alpha, beta):
    """log N(y; 0, I / beta + F F^T / alpha): the evidence of the linear
    model with prior N(0, I / alpha) and noise precision beta, with no SVD
    and no closed form."""
    n = len(y)
    cov = np.eye(n) / beta + f @ f.T / alpha
    return multivariate_normal(np.zeros(n), cov).logpdf(y)


@pytest.mark.parametrize('n,d', [(40, 6), (8, 20)])  # N > D and N < D
def test_logme_evidence_is_the_marginal_likelihood(n, d):
    rng = np.random.default_rng(0)
    f = rng.normal(size=(n, d))
    y = f @ rng.normal(size=d) * 0.5 + rng.normal(size=n) * 0.7
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    x2 = (u.T @ y)**2
    for alpha, beta in ((1.0, 1.0), (0.3, 7.0), (25.0, 0.05)):
        evidence, _, _ = logme_evidence(s**2, x2, y @ y - x2.sum(), alpha,
                                        beta, n, d)
        assert evidence == pytest.approx(
            direct_log_evidence(f, y, alpha, beta), rel=1e-10)
    score, alpha, beta = logme_fit(f, y)
    assert score * n == pytest.approx(
        direct_log_evidence(f, y, alpha, beta), rel=1e-10)


def test_logme_is_the_evidence_at_its_maximum():
    rng = np.random.default_rng(0)
    n, d = 40, 6
    f = rng.normal(size=(n, d))
    y = f @ rng.normal(size=d) * 0.5 + rng.normal(size=n) * 0.7
    score, alpha, beta = logme_fit(f, y, max_iter=1000, tol=1e-12)
    direct = direct_log_evidence(f, y, alpha, beta)
    assert score == pytest.approx(direct / n, rel=1e-12)
    # the fixed point maximises the evidence: no nearby alpha, beta is better
    for da, db in ((1.05, 1), (0.95, 1), (1, 1.05), (1, 0.95), (1.05, 1.05)):
        assert direct_log_evidence(f, y, alpha * da, beta * db) < direct
    # ... and its gradient in (log alpha, log beta) vanishes
    h = 1e-5
    for da, db in ((h, 0), (0, h)):
        grad = (direct_log_evidence(
            f, y, alpha * np.exp(da), beta * np.exp(db)) - direct_log_evidence(
                f, y, alpha * np.exp(-da), beta * np.exp(-db))) / (2 * h)
        assert abs(grad) < 1e-6 * n


def test_logme_of_a_classification_task_is_the_class_mean():
    rng = np.random.default_rng(1)
    y = np.arange(30) % 3
    f = rng.normal(size=(30, 4)) + y[:, None]
    per_class = [logme_fit(f, (y == k).astype(float))[0] for k in range(3)]
    assert logme(f, y) == pytest.approx(np.mean(per_class))
    assert logme(torch.tensor(f),
                 torch.tensor(y)) == pytest.approx(logme(f, y))
    # features that carry the labels score higher than noise
    assert logme(f, y) > logme(rng.normal(size=(30, 4)), y)


def leep_by_the_paper(theta, y):
    """Nguyen et al. 2020, Eqs. (1)-(2), as loops."""
    n, n_source = theta.shape
    n_target = y.max() + 1
    joint = [[
        sum(theta[i, z] for i in range(n) if y[i] == t) / n
        for z in range(n_source)
    ] for t in range(n_target)]
    marg = [sum(joint[t][z] for t in range(n_target)) for z in range(n_source)]
    total = 0.0
    for i in range(n):
        total += np.log(
            sum(joint[y[i]][z] / marg[z] * theta[i, z]
                for z in range(n_source)))
    return total / n


def test_leep_matches_its_definition():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(25, 7))
    theta = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = rng.integers(0, 4, 25)
    assert leep(theta, y) == pytest.approx(leep_by_the_paper(theta, y))
    # a source classifier that names the target class exactly: LEEP = 0
    assert leep(np.eye(4)[y], y) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match='probability'):
        leep(logits, y)


def test_nce_matches_its_definition():
    rng = np.random.default_rng(3)
    z = rng.integers(0, 5, 40)
    y = rng.integers(0, 3, 40)
    n = len(y)
    expected = 0.0
    for t in range(3):
        for s in range(5):
            p_ts = np.sum((y == t) & (z == s)) / n
            p_s = np.sum(z == s) / n
            if p_ts > 0:
                expected += p_ts * np.log(p_ts / p_s)
    assert nce(z, y) == pytest.approx(expected)
    assert nce(y, y) == pytest.approx(0.0)  # Z determines Y
    # one source label: -H(Y)
    p = np.bincount(y) / n
    assert nce(np.zeros(n, int), y) == pytest.approx(np.sum(p * np.log(p)))


def test_h_score_matches_its_definition():
    rng = np.random.default_rng(4)
    y = np.arange(60) % 3
    f = rng.normal(size=(60, 5)) + y[:, None] * np.array([1, 0, 2, 0, 0])
    n = len(f)
    mean = f.mean(0)
    cov_f = sum(np.outer(x - mean, x - mean) for x in f) / (n - 1)
    g = np.stack([f[y == k].mean(0) for k in y])
    mean_g = g.mean(0)
    cov_g = sum(np.outer(x - mean_g, x - mean_g) for x in g) / (n - 1)
    expected = np.trace(np.linalg.inv(cov_f) @ cov_g)
    assert h_score(f, y) == pytest.approx(expected)
    assert h_score(f, y) > h_score(rng.normal(size=(60, 5)), y)


def test_gmm_source_probs_is_a_seeded_posterior():
    rng = np.random.default_rng(5)
    y = np.arange(60) % 3
    f = rng.normal(size=(60, 8)) * 0.1 + np.eye(8)[y] * 5
    theta = gmm_source_probs(f, n_components=3, seed=0)
    assert theta.shape == (60, 3)
    np.testing.assert_allclose(theta.sum(1), 1, atol=1e-9)
    np.testing.assert_array_equal(theta, gmm_source_probs(f, 3, seed=0))
    # clusters that are the classes: N-LEEP close to its maximum, 0
    assert leep(theta, y) > -1e-3
    with pytest.raises(ValueError, match='fewer components'):
        gmm_source_probs(f, n_components=60)
