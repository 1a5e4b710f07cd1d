"""Transferability scores: how well a pre-trained encoder suits a labelled
target task, from its features (and source-class probabilities) alone, before
any fine-tuning. Higher is better for every score here.

- :func:`logme`: LogME, the log marginal evidence of a linear-Gaussian model
  of each one-hot label column given the features (You et al., *LogME:
  Practical Assessment of Pre-trained Models for Transfer Learning*,
  ICML 2021).
- :func:`leep`: LEEP, the log-likelihood of the "expected empirical
  predictor" built from the source model's class probabilities (Nguyen et
  al., *LEEP: A New Measure to Evaluate Transferability of Learned
  Representations*, ICML 2020).
- :func:`gmm_source_probs` + :func:`leep`: N-LEEP (Li et al., *Ranking Neural
  Checkpoints*, CVPR 2021): the source classifier replaced by the posterior
  of a Gaussian mixture fitted to the PCA-reduced features, for encoders with
  no source head (every contrastive pre-training).
- :func:`nce`: NCE, the negative conditional entropy of the target labels
  given hard source labels (Tran et al., *Transferability and Hardness of
  Supervised Classification Tasks*, ICCV 2019).
- :func:`h_score`: H-score, ``tr(cov(f)^-1 cov(E[f|y]))`` (Bao et al., *An
  Information-Theoretic Approach to Transferability in Task Transfer
  Learning*, ICIP 2019).

All take numpy arrays or tensors and compute in float64 numpy.
"""
from typing import Tuple

import numpy as np


def _as_numpy(x, dtype=np.float64) -> np.ndarray:
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


def _labels(labels, n: int) -> np.ndarray:
    y = _as_numpy(labels, np.int64).reshape(-1)
    if len(y) != n:
        raise ValueError(f'{len(y)} labels for {n} samples')
    if len(y) and y.min() < 0:
        raise ValueError('labels must be class indices >= 0')
    return y


def logme_evidence(sigma: np.ndarray, x2: np.ndarray, res_x2: float,
                   alpha: float, beta: float, n: int,
                   d: int) -> Tuple[float, float, float]:
    r"""The log evidence ``log p(y | F, alpha, beta)`` of the model
    ``y = F w + noise``, ``w ~ N(0, alpha^-1 I_D)``,
    ``noise ~ N(0, beta^-1 I_N)`` (Bishop, PRML, Eq. 3.86), from the SVD of
    ``F = U S V^T``:

    .. math::
        \mathcal{L} = \frac{D}{2}\log\alpha + \frac{N}{2}\log\beta
        - \frac{1}{2}\sum_{i=1}^{D}\log(\alpha + \beta\sigma_i)
        - \frac{\beta}{2}\lVert y - Fm\rVert^2
        - \frac{\alpha}{2}\lVert m\rVert^2 - \frac{N}{2}\log 2\pi

    with ``m = beta A^-1 F^T y``, ``A = alpha I + beta F^T F``,
    ``sigma_i = s_i^2`` (zero for ``i > rank``). With ``x = U^T y`` and
    ``t = alpha / beta``:
    ``||m||^2 = sum sigma x^2 / (t + sigma)^2``,
    ``||y - Fm||^2 = sum x^2 t^2 / (t + sigma)^2 + (||y||^2 - ||x||^2)``.

    Args:
        sigma: the squared singular values of ``F`` (length ``k <= D``).
        x2: ``(U^T y)^2`` (length ``k``).
        res_x2: ``||y||^2 - ||U^T y||^2``, the part of ``y`` outside
            ``F``'s column space.

    Returns:
        (evidence, ||m||^2, ||y - F m||^2)
    """
    t = alpha / beta
    m2 = float((sigma * x2 / (t + sigma)**2).sum())
    res2 = float((x2 * t**2 / (t + sigma)**2).sum() + res_x2)
    k = len(sigma)
    log_det = np.log(alpha + beta * sigma).sum() + (d - k) * np.log(alpha)
    evidence = (
        d / 2 * np.log(alpha) + n / 2 * np.log(beta) - log_det / 2 -
        beta / 2 * res2 - alpha / 2 * m2 - n / 2 * np.log(2 * np.pi))
    return float(evidence), m2, res2


def logme_fit(features,
              target,
              max_iter: int = 100,
              tol: float = 1e-6) -> Tuple[float, float, float]:
    r"""LogME of one real-valued target column: the evidence maximised over
    ``alpha, beta`` by You et al.'s fixed point (Algorithm 1; MacKay's
    updates):

    .. math::
        \gamma = \sum_i \frac{\beta\sigma_i}{\alpha + \beta\sigma_i},\quad
        \alpha \leftarrow \frac{\gamma}{\lVert m\rVert^2},\quad
        \beta \leftarrow \frac{N - \gamma}{\lVert y - Fm\rVert^2}

    from ``alpha = beta = 1``, until ``alpha / beta`` changes by less than
    ``tol`` (relative). The authors' code stops after at most 11 steps (at a
    relative change of ``1e-3`` in its current version) and reports the
    evidence of the last update's ``m``; here the loop runs to
    ``tol`` and the evidence is that of the final ``alpha, beta``
    (:func:`logme_evidence`), so it is exactly the evidence at the returned
    values. With fewer samples than dimensions the ``D - N`` zero
    eigenvalues of ``F^T F`` count in ``log|A|`` (the authors' newer code
    drops them; its value then differs by ``(D - N) log(alpha) / 2N``).

    Returns:
        (evidence / N, alpha, beta)
    """
    f = _as_numpy(features)
    y = _as_numpy(target).reshape(-1)
    n, d = f.shape
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    sigma = s**2
    x = u.T @ y
    x2 = x**2
    res_x2 = max(float(y @ y - x2.sum()), 0.0)
    alpha, beta = 1.0, 1.0
    eps = 1e-12
    for _ in range(max_iter):
        t = alpha / beta
        gamma = float((sigma / (sigma + t)).sum())
        _, m2, res2 = logme_evidence(sigma, x2, res_x2, alpha, beta, n, d)
        alpha = gamma / (m2 + eps)
        beta = (n - gamma) / (res2 + eps)
        if abs(alpha / beta - t) / t < tol:
            break
    evidence, _, _ = logme_evidence(sigma, x2, res_x2, alpha, beta, n, d)
    return evidence / n, alpha, beta


def logme(features, labels, max_iter: int = 100, tol: float = 1e-6) -> float:
    """LogME of a classification task (You et al., ICML 2021): the mean over
    classes ``k`` of :func:`logme_fit` on the indicator column
    ``1[y = k]``, the evidence divided by the number of samples. Features
    are used as given (the authors' protocol: the penultimate-layer
    features, no normalisation)."""
    f = _as_numpy(features)
    if f.ndim != 2:
        raise ValueError(f'features must be (N, D), got shape {f.shape}')
    y = _labels(labels, len(f))
    classes = np.unique(y)
    return float(
        np.mean([
            logme_fit(f, (y == k).astype(np.float64), max_iter, tol)[0]
            for k in classes
        ]))


def leep(source_probs, labels) -> float:
    r"""LEEP (Nguyen et al., ICML 2020), Eqs. (1)-(2):

    .. math::
        \hat P(y, z) = \frac{1}{n}\sum_{i: y_i = y}\theta(x_i)_z,\quad
        \hat P(y | z) = \frac{\hat P(y, z)}{\sum_{y'}\hat P(y', z)},\quad
        T = \frac{1}{n}\sum_i \log\sum_z \hat P(y_i | z)\,\theta(x_i)_z

    ``source_probs`` (n, Z): ``theta(x_i)``, each row a distribution over the
    source classes (a source classifier's softmax, or
    :func:`gmm_source_probs`'s posterior: N-LEEP). ``T <= 0``; 0 is a
    perfect predictor.
    """
    theta = _as_numpy(source_probs)
    if theta.ndim != 2:
        raise ValueError('source_probs must be (N, Z) probabilities')
    if (theta < 0).any() or not np.allclose(theta.sum(1), 1, atol=1e-4):
        raise ValueError('each row of source_probs must be a probability '
                         'distribution (non-negative, summing to 1)')
    y = _labels(labels, len(theta))
    n = len(y)
    n_target = int(y.max()) + 1
    joint = np.zeros((n_target, theta.shape[1]))
    np.add.at(joint, y, theta / n)
    p_z = joint.sum(0, keepdims=True)
    cond = np.divide(joint, p_z, out=np.zeros_like(joint), where=p_z > 0)
    eep = (theta * cond[y]).sum(1)  # sum_z P(y_i | z) theta(x_i)_z
    return float(np.mean(np.log(eep)))


def nce(source_labels, labels) -> float:
    r"""NCE (Tran et al., ICCV 2019): ``-H(Y | Z)`` of the empirical joint
    distribution of target labels ``Y`` and hard source labels ``Z`` (a
    source classifier's argmax, or a cluster index):

    .. math::
        \mathrm{NCE} = \sum_{y, z}\hat P(y, z)\log\hat P(y | z)

    ``<= 0``; 0 when ``Z`` determines ``Y``.
    """
    z = _as_numpy(source_labels, np.int64).reshape(-1)
    y = _labels(labels, len(z))
    if z.min() < 0:
        raise ValueError('source labels must be indices >= 0')
    joint = np.zeros((int(y.max()) + 1, int(z.max()) + 1))
    np.add.at(joint, (y, z), 1.0 / len(y))
    p_z = np.broadcast_to(joint.sum(0, keepdims=True), joint.shape)
    nz = joint > 0  # 0 log 0 = 0; p(z) > 0 wherever p(y, z) > 0
    return float((joint[nz] * np.log(joint[nz] / p_z[nz])).sum())


def h_score(features, labels) -> float:
    r"""H-score (Bao et al., ICIP 2019):

    .. math::
        H(f) = \mathrm{tr}\left(\mathrm{cov}(f)^{-1}\,
               \mathrm{cov}(\mathbb{E}[f \mid y])\right)

    ``cov(f)`` the covariance of the features over the samples,
    ``E[f | y]`` each sample's class mean. ``cov(f)`` of deep features is
    often singular (fewer samples than dimensions): its pseudo-inverse is
    used, as tllib's ``h_score`` does. Covariances use ``N - 1``.
    """
    f = _as_numpy(features)
    y = _labels(labels, len(f))
    g = np.zeros_like(f)
    for k in np.unique(y):
        g[y == k] = f[y == k].mean(0)
    cov_f = np.cov(f, rowvar=False)
    cov_g = np.cov(g, rowvar=False)
    return float(np.trace(np.linalg.pinv(cov_f, rcond=1e-15) @ cov_g))


def gmm_source_probs(features,
                     n_components: int,
                     pca_variance: float = 0.8,
                     seed: int = 0) -> np.ndarray:
    """N-LEEP's stand-in for a source classifier (Li et al., CVPR 2021): the
    features reduced by PCA to the components that keep ``pca_variance`` of
    the variance, a Gaussian mixture of ``n_components`` (full covariances,
    scikit-learn's EM, seeded) fitted to them, and its posterior
    ``p(component | x)`` as ``theta(x)``. The reference code (TencentARC/SFDA)
    uses 80% of the variance and 5 components per target class.

    Returns:
        (N, n_components) probabilities.
    """
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture
    f = _as_numpy(features)
    if not 0 < pca_variance <= 1:
        raise ValueError(f'pca_variance must be in (0, 1], got {pca_variance}')
    if n_components >= len(f):
        raise ValueError(f'{n_components} mixture components for '
                         f'{len(f)} samples: use fewer components')
    if pca_variance < 1:
        f = PCA(n_components=pca_variance, random_state=seed).fit_transform(f)
    gmm = GaussianMixture(n_components=n_components, random_state=seed)
    gmm.fit(f)
    return gmm.predict_proba(f)
