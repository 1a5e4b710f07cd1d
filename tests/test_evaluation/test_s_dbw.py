import numpy as np
import pytest

from mmctune.evaluation.functional import s_dbw

reference = pytest.importorskip('s_dbw')


def blobs(seed, k=4, n=40, d=6, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, (k, d))
    sizes = rng.integers(n // 2, n, k)
    X = np.concatenate(
        [c + rng.normal(0, spread, (s, d)) for c, s in zip(centres, sizes)])
    labels = np.repeat(np.arange(k), sizes)
    return X, labels


@pytest.mark.parametrize('method', ['Halkidi', 'Tong'])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_equals_reference_package(method, seed):
    X, labels = blobs(seed)
    want = reference.S_Dbw(
        X,
        labels,
        method=method,
        centr='mean',
        nearest_centr=True,
        metric='euclidean')
    assert s_dbw(X, labels, method=method) == pytest.approx(want, rel=1e-9)


def test_mean_centroids_match_too():
    X, labels = blobs(3, d=2, spread=2.0)
    want = reference.S_Dbw(
        X,
        labels,
        method='Halkidi',
        centr='mean',
        nearest_centr=False,
        metric='euclidean')
    got = s_dbw(X, labels, method='Halkidi', nearest_centroid=False)
    assert got == pytest.approx(want, rel=1e-9)


def test_compact_classes_score_lower():
    X, labels = blobs(0, spread=0.3)
    X_loose, _ = blobs(0, spread=3.0)
    assert s_dbw(X, labels) < s_dbw(X_loose, labels)


def test_needs_two_clusters():
    with pytest.raises(ValueError, match='clusters'):
        s_dbw(np.zeros((5, 2)), np.zeros(5))
