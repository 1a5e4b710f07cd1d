"""mmctune's K-means (mmctune/models/utils/kmeans.py): Co-Tuning's spherical
k-means, HCSC's torch K-means (recovers separated clusters, seeded, splits
empty clusters, agrees with faiss), the hierarchy (consistent, recovers the
groups) and its densities (run_hkmeans's)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmctune.models.utils.kmeans import (cluster_density, hierarchical_kmeans,
                                         spherical_kmeans, torch_kmeans)


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


def toy_hierarchy(per=20, seed=0):
    """4 groups of 3 tight subclusters on the unit sphere in 8-d: group g's
    subclusters lie near axis g, each off it along its own axis."""
    g = torch.Generator().manual_seed(seed)
    centres, sub_label, group_label = [], [], []
    for grp in range(4):
        for s in range(3):
            c = torch.zeros(8)
            c[grp] = 1.
            c[4 + s] = 0.35
            centres.append(F.normalize(c, dim=0))
    x = []
    for i, c in enumerate(centres):
        x.append(c + 0.01 * torch.randn(per, 8, generator=g))
        sub_label += [i] * per
        group_label += [i // 3] * per
    return (F.normalize(torch.cat(x), dim=1), torch.tensor(sub_label),
            torch.tensor(group_label))


def same_partition(a, b):
    """a and b split the points the same way (a bijection of labels)."""
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_torch_kmeans_recovers_separated_clusters():
    x, sub, _ = toy_hierarchy()
    centroids, sq_dist, assign = torch_kmeans(
        x, 12, niter=20, nredo=2, seed=0, init='k-means++')
    assert same_partition(assign, sub)
    # faiss's D: the squared distance to the assigned centroid
    torch.testing.assert_close(sq_dist,
                               ((x - centroids[assign])**2).sum(dim=1))
    with pytest.raises(ValueError, match='at most as many clusters'):
        torch_kmeans(x[:5], 6)


def test_torch_kmeans_is_seeded_and_splits_empty_clusters():
    x, _, _ = toy_hierarchy(per=5)
    a = torch_kmeans(x, 12, seed=3)
    b = torch_kmeans(x, 12, seed=3)
    for u, v in zip(a, b):
        torch.testing.assert_close(u, v)
    # 13 clusters of 12 tight groups with random starts: none left empty
    _, _, assign = torch_kmeans(x, 13, niter=5, nredo=1, seed=0)
    assert len(set(assign.tolist())) == 13


def test_hierarchy_recovers_groups_and_is_consistent():
    x, sub, group = toy_hierarchy()
    res = hierarchical_kmeans(
        x, (12, 4), 0.2, torch_kmeans, init='k-means++', nredo=2)
    assert same_partition(res['im2cluster'][0], sub)
    assert same_partition(res['im2cluster'][1], group)
    c2c = res['cluster2cluster'][0]
    # each sample's level-1 prototype is the parent of its level-0 one
    assert torch.equal(res['im2cluster'][1], c2c[res['im2cluster'][0]])
    # each lower prototype's parent is the upper cluster holding it
    nearest = (res['centroids'][0] @ res['centroids'][1].t()).argmax(dim=1)
    assert torch.equal(c2c, nearest)
    torch.testing.assert_close(res['logits'][0],
                               res['centroids'][0] @ res['centroids'][1].t())
    for c in res['centroids']:
        torch.testing.assert_close(c.norm(dim=1), torch.ones(len(c)))
    for d in res['density']:
        assert d.mean().item() == pytest.approx(0.2, rel=1e-5)


def official_density(D, I, k, T):  # noqa: E741 (the official names)
    """run_hkmeans's loop (gyfastas/HCSC pretrain.py), from faiss's D and
    I."""
    Dcluster = [[] for _ in range(k)]
    for im, i in enumerate(I):
        Dcluster[i].append(D[im])
    density = np.zeros(k)
    for i, dist in enumerate(Dcluster):
        if len(dist) > 1:
            root = np.asarray(dist)**0.5
            density[i] = root.mean() / np.log(len(dist) + 10)
    dmax = density.max()
    for i, dist in enumerate(Dcluster):
        if len(dist) <= 1:
            density[i] = dmax
    density = density.clip(
        np.percentile(density, 10), np.percentile(density, 90))
    return T * density / density.mean()


def test_density_is_run_hkmeans():
    rng = np.random.default_rng(0)
    k = 7  # cluster 5 has one point, cluster 6 none
    assign = np.array([0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 5])
    D = rng.uniform(0.01, 0.5, size=len(assign)).astype(np.float32)
    got = cluster_density(
        torch.from_numpy(D), torch.from_numpy(assign), k, 0.2)
    ref = official_density(D.astype(np.float64), assign, k, 0.2)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-6)


def three_blobs(seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.eye(3, 6)
    x = torch.cat(
        [c + 0.02 * torch.randn(30, 6, generator=g) for c in centres])
    return x, torch.arange(3).repeat_interleave(30)


def test_torch_kmeans_random_init_recovers_blobs():
    # random starts (faiss's) may put two centroids in one blob: the best
    # of nredo runs by objective is the separated one
    x, y = three_blobs()
    _, _, assign = torch_kmeans(x, 3, nredo=30, seed=0)
    assert same_partition(assign, y)


def test_faiss_and_torch_agree():
    # not skipped: faiss is in the lock file, so this runs in the suite
    import faiss  # noqa: F401

    from mmctune.models.utils.kmeans import faiss_kmeans
    x, y = three_blobs()
    ca, _, a = faiss_kmeans(x, 3, nredo=30, seed=0)
    cb, _, b = torch_kmeans(x, 3, nredo=30, seed=0)
    assert same_partition(a, y) and same_partition(b, y)
    # the same centroids, in the order of the blobs each holds
    torch.testing.assert_close(ca[a[::30]], cb[b[::30]], atol=1e-5, rtol=1e-5)
