"""The K-means of mmctune, in one place: Lloyd's K-means in torch and
faiss's (HCSC's hierarchical K-means, after the official code's faiss
settings), the hierarchy on top of them, and spherical k-means (Co-Tuning's
pseudo source classes). All run on the features' device; faiss is used where
it imports (:func:`get_kmeans`)."""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F


# -- spherical k-means (Co-Tuning) --------------------------------------------
def _best(x: torch.Tensor,
          centroids: torch.Tensor,
          chunk: int = 8192) -> Tuple[torch.Tensor, torch.Tensor]:
    """Highest cosine similarity of each row of ``x`` to ``centroids`` (both
    L2-normalised) and its index, ``chunk`` rows at a time."""
    sims, idx = [], []
    for part in x.split(chunk):
        s, i = (part @ centroids.t()).max(dim=1)
        sims.append(s)
        idx.append(i)
    return torch.cat(sims), torch.cat(idx)


@torch.no_grad()
def spherical_kmeans(
    x: torch.Tensor,
    k: int,
    max_iters: int = 50,
    seed: int = 0,
    generator: Optional[torch.Generator] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""k-means of the directions of ``x`` (n, d): maximise
    :math:`\sum_i \hat x_i \cdot c_{a(i)}` over unit centroids :math:`c`
    and assignments :math:`a` (Dhillon & Modha, 2001). Seeded k-means++
    (distance :math:`1 - \cos`), then Lloyd's iterations until no
    assignment changes or ``max_iters``; a cluster that empties takes the
    point farthest from its centroid. Deterministic for a ``seed``. A zero
    vector has no direction: it never seeds nor moves a centroid (it is
    assigned to cluster 0).

    Returns:
        (centroids (k, d), L2-normalised; assignments (n, ) long).
    """
    n = x.size(0)
    if not 1 <= k <= n:
        raise ValueError(f'spherical_kmeans: k={k} clusters for {n} points; '
                         f'k must be between 1 and the number of points')
    x = F.normalize(x.float(), dim=1)
    valid = x.norm(dim=1) > 0
    candidates = valid.nonzero().flatten()
    if candidates.numel() < k:
        raise ValueError(f'spherical_kmeans: k={k} clusters but only '
                         f'{candidates.numel()} of the {n} points are '
                         f'non-zero vectors')
    gen = generator or torch.Generator().manual_seed(seed)
    # k-means++ seeding
    first = int(candidates[int(
        torch.randint(candidates.numel(), (1, ), generator=gen))])
    centroids = [x[first]]
    dist = (1 - x @ x[first]).clamp_(min=0) * valid
    for _ in range(1, k):
        total = float(dist.sum())
        if total <= 0:  # every point is on a centroid: any point will do
            i = int(candidates[int(
                torch.randint(candidates.numel(), (1, ), generator=gen))])
        else:
            probs = (dist / total).cpu().double()
            i = int(torch.multinomial(probs, 1, generator=gen))
        centroids.append(x[i])
        dist = torch.minimum(dist, (1 - x @ x[i]).clamp_(min=0) * valid)
    centroids = torch.stack(centroids)
    assign = None
    for _ in range(max_iters):
        sims, new = _best(x, centroids)
        if assign is not None and torch.equal(new, assign):
            break
        assign = new
        sums = torch.zeros_like(centroids).index_add_(0, assign, x)
        counts = torch.bincount(assign[valid], minlength=k)
        for c in (counts == 0).nonzero().flatten().tolist():
            # the worst-fitting point of a cluster that keeps others moves
            movable = torch.where(valid & (counts[assign] > 1), sims,
                                  torch.full_like(sims, float('inf')))
            far = int(movable.argmin())
            counts[assign[far]] -= 1
            sums[assign[far]] -= x[far]
            assign[far] = c
            counts[c] = 1
            sums[c] = x[far]
            sims[far] = 1.0
        centroids = F.normalize(sums, dim=1)
    return centroids, assign


# -- K-means (HCSC): torch and faiss ------------------------------------------
def _sq_dists(x: torch.Tensor,
              c: torch.Tensor,
              chunk: int = 65536) -> Tuple[torch.Tensor, torch.Tensor]:
    """Squared L2 distance of each row of ``x`` to its nearest row of ``c``
    and that row's index, in chunks of ``chunk`` rows."""
    c_sq = (c * c).sum(dim=1)
    dist, assign = [], []
    for part in x.split(chunk):
        d = (part * part).sum(dim=1, keepdim=True) - 2 * part @ c.t() + c_sq
        m, a = d.min(dim=1)
        dist.append(m.clamp(min=0))
        assign.append(a)
    return torch.cat(dist), torch.cat(assign)


def torch_kmeans(
    x: torch.Tensor,
    k: int,
    niter: int = 20,
    nredo: int = 5,
    seed: int = 0,
    init: str = 'random',
    max_points_per_centroid: int = 1000
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Lloyd's K-means in torch, vectorised, on ``x``'s device, following
    faiss's ``Clustering`` defaults of the official code: ``niter``
    iterations, the best of ``nredo`` runs by objective, training on at most
    ``k * max_points_per_centroid`` points (a seeded sample), an empty
    cluster split off the largest one (centroid copied, moved by +-1/1024).

    Args:
        x (Tensor): ``(n, d)`` points (float32).
        k (int): Number of clusters.
        init (str): ``'random'`` (k distinct points, faiss's) or
            ``'k-means++'``.

    Returns:
        tuple: centroids ``(k, d)``, then each point's squared distance to
        its nearest centroid and that centroid's index (faiss's ``D, I``).
    """
    n = x.size(0)
    if n < k:
        raise ValueError(f'K-means of {n} points into {k} clusters: use at '
                         'most as many clusters as points')
    if init not in ('random', 'k-means++'):
        raise ValueError(f"init must be 'random' or 'k-means++', got {init!r}")
    gen = torch.Generator().manual_seed(seed)
    x = x.float()
    train = x
    if n > k * max_points_per_centroid:
        keep = torch.randperm(n, generator=gen)[:k * max_points_per_centroid]
        train = x[keep.to(x.device)]
    best, best_obj = None, float('inf')
    for _ in range(nredo):
        c = _init_centroids(train, k, init, gen)
        for _ in range(niter):
            _, assign = _sq_dists(train, c)
            sums = torch.zeros_like(c).index_add_(0, assign, train)
            counts = torch.bincount(assign, minlength=k).to(train.dtype)
            filled = counts > 0
            c = torch.where(filled[:, None],
                            sums / counts.clamp(min=1)[:, None], c)
            c = _split_empty(c, counts)
        obj = float(_sq_dists(train, c)[0].sum())
        if obj < best_obj:
            best, best_obj = c, obj
    dist, assign = _sq_dists(x, best)
    return best, dist, assign


def _init_centroids(x: torch.Tensor, k: int, init: str,
                    gen: torch.Generator) -> torch.Tensor:
    n = x.size(0)
    if init == 'random':
        return x[torch.randperm(n, generator=gen)[:k].to(x.device)].clone()
    first = int(torch.randint(n, (1, ), generator=gen))
    chosen = [first]
    d = ((x - x[first])**2).sum(dim=1)
    for _ in range(1, k):
        p = d.double().cpu()
        p = p / p.sum() if p.sum() > 0 else torch.full_like(p, 1 / n)
        i = int(torch.multinomial(p, 1, generator=gen))
        chosen.append(i)
        d = torch.minimum(d, ((x - x[i])**2).sum(dim=1))
    return x[chosen].clone()


def _split_empty(c: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """faiss's handling of an empty cluster: copy the centroid of the
    largest cluster, move the two copies apart by +-1/1024 and halve the
    count."""
    empty = (counts == 0).nonzero().flatten().tolist()
    if not empty:
        return c
    c, counts = c.clone(), counts.clone()
    eps = 1 / 1024
    sign = torch.ones(c.size(1), device=c.device)
    sign[1::2] = -1
    for j in empty:
        big = int(counts.argmax())
        c[j] = c[big] * (1 + eps * sign)
        c[big] = c[big] * (1 - eps * sign)
        counts[j] = counts[big] // 2
        counts[big] -= counts[j]
    return c


def faiss_kmeans(
    x: torch.Tensor,
    k: int,
    niter: int = 20,
    nredo: int = 5,
    seed: int = 0,
    init: str = 'random',
    max_points_per_centroid: int = 1000
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The official code's faiss clustering (``faiss.Clustering`` with the
    same parameters, a GPU index when faiss has GPUs), same returns as
    :func:`torch_kmeans`. ``init`` must be ``'random'`` (faiss's)."""
    import faiss
    if init != 'random':
        raise ValueError("faiss initialises at random: init='random'")
    xn = np.ascontiguousarray(x.detach().float().cpu().numpy())
    d = xn.shape[1]
    clus = faiss.Clustering(d, k)
    clus.niter, clus.nredo, clus.seed = niter, nredo, seed
    clus.max_points_per_centroid = max_points_per_centroid
    clus.min_points_per_centroid = 10
    if hasattr(faiss, 'StandardGpuResources') and faiss.get_num_gpus() > 0:
        res = faiss.StandardGpuResources()
        cfg = faiss.GpuIndexFlatConfig()
        cfg.useFloat16 = False
        cfg.device = torch.cuda.current_device()
        index = faiss.GpuIndexFlatL2(res, d, cfg)
    else:
        index = faiss.IndexFlatL2(d)
    clus.train(xn, index)
    dist, assign = index.search(xn, 1)
    centroids = faiss.vector_to_array(clus.centroids).reshape(k, d)
    return (torch.from_numpy(centroids), torch.from_numpy(dist[:, 0]),
            torch.from_numpy(assign[:, 0]).long())


def get_kmeans(backend: str = 'auto') -> Tuple[str, Callable]:
    """``(name, function)`` of the K-means backend: ``'faiss'`` when it
    imports (``'auto'``), else ``'torch'``."""
    if backend not in ('auto', 'faiss', 'torch'):
        raise ValueError(
            f"backend must be 'auto', 'faiss' or 'torch', got {backend!r}")
    if backend in ('auto', 'faiss'):
        try:
            import faiss  # noqa: F401
            return 'faiss', faiss_kmeans
        except ImportError:
            if backend == 'faiss':
                raise ImportError(
                    "backend='faiss' needs faiss (pip install faiss-cpu, or "
                    "faiss-gpu); backend='auto' falls back to torch")
    return 'torch', torch_kmeans


# -- HCSC's hierarchy ---------------------------------------------------------
def cluster_density(sq_dist: torch.Tensor, assign: torch.Tensor, k: int,
                    temperature: float) -> torch.Tensor:
    r"""The concentration of each cluster (``run_hkmeans``; PCL's
    estimate):

    .. math::
        \phi_c = \frac{\operatorname{mean}_{x\in c}\lVert x - c\rVert}
                      {\log(|c| + 10)} \quad (|c| > 1),

    a cluster of at most one point takes the largest :math:`\phi`; then
    clipped to the 10th and 90th percentiles and scaled to mean
    :math:`\tau`: :math:`\phi \leftarrow \tau\phi/\bar\phi`.
    """
    dist = sq_dist.double().clamp(min=0).sqrt()
    assign = assign.long().cpu()
    dist = dist.cpu()
    counts = torch.bincount(assign, minlength=k).double()
    sums = torch.zeros(k, dtype=torch.float64).index_add_(0, assign, dist)
    many = counts > 1
    density = torch.zeros(k, dtype=torch.float64)
    density[many] = sums[many] / counts[many] / torch.log(counts[many] + 10)
    density[~many] = density.max()
    lo, hi = np.percentile(density.numpy(),
                           10), np.percentile(density.numpy(), 90)
    density = density.clamp(float(lo), float(hi))
    return (temperature * density / density.mean()).float()


def hierarchical_kmeans(features: torch.Tensor,
                        num_clusters: Sequence[int],
                        temperature: float,
                        kmeans: Callable = torch_kmeans,
                        **kmeans_kwargs) -> Dict[str, List[torch.Tensor]]:
    """HCSC's hierarchical K-means (``run_hkmeans``): level 0 clusters the
    embeddings, level ``l`` the normalised prototypes of level ``l - 1``
    (seed ``l``); ``cluster2cluster[l - 1]`` maps each level ``l - 1``
    prototype to its level ``l`` parent, and an image's level ``l``
    prototype is the parent of its level ``l - 1`` one. Densities from the
    distances at each level (:func:`cluster_density`).

    Returns:
        dict: lists over levels of ``im2cluster`` ``(n, )``, ``centroids``
        ``(C_l, d)`` (L2-normalised), ``density`` ``(C_l, )``,
        ``cluster2cluster`` ``(C_l, )`` (levels but the top) and ``logits``
        (lower prototypes times upper ones, as the official result).
    """
    res = dict(
        im2cluster=[], centroids=[], density=[], cluster2cluster=[], logits=[])
    points = features.float()
    for lvl, k in enumerate(num_clusters):
        centroids, sq_dist, assign = kmeans(
            points, int(k), seed=lvl, **kmeans_kwargs)
        assign = assign.long().cpu()
        if lvl == 0:
            im2cluster = assign
        else:
            res['cluster2cluster'].append(assign)
            im2cluster = assign[res['im2cluster'][-1]]
        density = cluster_density(sq_dist, assign, int(k), temperature)
        centroids = F.normalize(centroids.float().cpu(), dim=1)
        if lvl > 0:
            res['logits'].append(res['centroids'][-1] @ centroids.t())
        res['im2cluster'].append(im2cluster)
        res['centroids'].append(centroids)
        res['density'].append(density)
        points = centroids.to(features.device)
    return res
