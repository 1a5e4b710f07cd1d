"""Spherical k-means in torch (on the features' device)."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F


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
