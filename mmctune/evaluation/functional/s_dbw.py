import numpy as np


def s_dbw(features,
          labels,
          method: str = 'Halkidi',
          nearest_centroid: bool = True,
          lambd: float = 0.7) -> float:
    r"""The S_Dbw cluster validity index of ``features`` grouped by
    ``labels`` (lower is better): ``Scat + Dens_bw``; COIN's Table 2 measure
    of how compact and separated the classes are in feature space.

    Same definitions as the PyPI package ``s-dbw`` (0.4.0) with
    ``centr='mean'`` and Euclidean distances (checked against it in the
    tests), computed per cluster with numpy instead of per point:

    - ``'Halkidi'`` (Halkidi & Vazirgiannis, ICDM 2001): densities count the
      points within ``stdev = sqrt(sum_i ||sigma_i||) / k`` of a cluster
      centre or of the midpoint of two centres;
      ``Scat = sum_i ||sigma_i|| / (k ||sigma_S||)``.
    - ``'Tong'`` (Tong & Tan 2009; the package's default): densities count
      the points inside a per-dimension 95% confidence box, the pair centre
      weighs sizes and densities (``lambd``), and Scat weighs each cluster
      by ``(n - n_i) / n`` over ``k - 1``. In high dimensions the box rarely
      holds a point, so ``'Halkidi'`` is mmctune's default for encoder
      features.

    ``sigma`` are per-feature standard deviations (``ddof=0``). With
    ``nearest_centroid`` each cluster's centre is its sample nearest to its
    mean.

    Raises:
        ValueError: fewer than 2 or more than n - 1 clusters, or two or more
            clusters of zero density (as the package).
    """
    X = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels)
    classes = np.unique(labels)
    k, n = len(classes), len(X)
    if k < 2 or k > n - 1:
        raise ValueError('S_Dbw needs more than 1 and fewer than n_samples '
                         f'clusters, got {k} for {n} samples')
    if method not in ('Halkidi', 'Tong'):
        raise ValueError(f"method must be 'Halkidi' or 'Tong', got {method}")
    members = [X[labels == c] for c in classes]
    sizes = np.array([len(m) for m in members], dtype=np.float64)
    sigma = np.stack([m.std(axis=0) for m in members])
    sigma_norm = np.linalg.norm(sigma, axis=1)
    centres = []
    for m in members:
        centre = m.mean(axis=0)
        if nearest_centroid:
            centre = m[np.argmin(np.linalg.norm(m - centre, axis=1))]
        centres.append(centre)
    centres = np.stack(centres)
    sigma_all = np.linalg.norm(X.std(axis=0))

    if method == 'Halkidi':
        radius = np.sqrt(sigma_norm.sum()) / k

        def count(points, centre, *_):
            return np.count_nonzero(
                np.linalg.norm(points - centre, axis=1) <= radius)

        own = np.array([count(m, c) for m, c in zip(members, centres)])
    else:

        def count(points, centre, spread, size):
            half = 1.96 * spread / np.sqrt(size)
            return np.count_nonzero(
                np.all(np.abs(points - centre) <= half, axis=1))

        own = np.array([
            count(m, c, s, size)
            for m, c, s, size in zip(members, centres, sigma, sizes)
        ])
    if np.count_nonzero(own == 0) > 1:
        raise ValueError('The density for two or more clusters to equal '
                         'zero.')

    dens = 0.0
    for i in range(k):
        for j in range(k):
            if i == j:
                continue
            pts = np.concatenate([members[i], members[j]])
            if method == 'Halkidi':
                between = count(pts, (centres[i] + centres[j]) / 2)
            else:
                nij = sizes[i] + sizes[j]
                centre = lambd * (centres[i] * sizes[j] +
                                  centres[j] * sizes[i]) / nij + (
                                      1 - lambd) * (centres[i] * own[i] +
                                                    centres[j] * own[j]) / (
                                                        own[i] + own[j])
                between = count(pts, centre, (sigma[i] + sigma[j]) / 2, nij)
            dens += between / max(own[i], own[j])
    dens /= k * (k - 1)

    if method == 'Halkidi':
        scat = sigma_norm.sum() / (sigma_all * k)
    else:
        scat = ((n - sizes) / n * sigma_norm).sum() / (sigma_all * (k - 1))
    return float(dens + scat)
