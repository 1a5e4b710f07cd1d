"""Losses on a batch of encoder features: BSS and M&M's triplet loss.

Both are called as ``loss(z, y)`` with features ``z`` (n, C) and labels ``y``
((n, ) indices or (n, K) one-hot / soft labels), like the ``feature_losses``
of :class:`~mmctune.models.heads.FeatureRegularizedClsHead`.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmctune.registry import MODELS


@MODELS.register_module()
class BSSLoss(nn.Module):
    r"""Batch Spectral Shrinkage (Chen et al., "Catastrophic Forgetting Meets
    Negative Transfer", NeurIPS 2019): shrink the smallest singular values of
    the batch feature matrix, whose directions carry the least transferable
    (most source-specific) knowledge:

    .. math::
        L_{bss} = \eta \sum_{i=1}^{k} \sigma_{-i}^2

    where :math:`\sigma_{-1} \le \sigma_{-2} \le \dots` are the smallest of the
    :math:`\min(n, C)` singular values of :math:`Z \in \mathbb{R}^{n\times C}`.
    Defaults as in the Transfer-Learning-Library (``tllib.regularization.
    bss``): :math:`k = 1`, :math:`\eta = 0.001`.

    Args:
        k (int): Number of smallest singular values. Defaults to 1.
        loss_weight (float): :math:`\eta`. Defaults to 0.001.
    """

    def __init__(self, k: int = 1, loss_weight: float = 0.001):
        super().__init__()
        if k < 1:
            raise ValueError(f'k must be at least 1, got {k}')
        self.k = k
        self.loss_weight = loss_weight

    def forward(self, z: torch.Tensor, y=None) -> torch.Tensor:
        if z.dtype not in (torch.float32, torch.float64):
            z = z.float()  # (no SVD in half precision)
        sigma = torch.linalg.svdvals(z)  # descending
        if self.k > sigma.numel():
            raise ValueError(f'k={self.k} but the {tuple(z.shape)} feature '
                             f'matrix has {sigma.numel()} singular values')
        return self.loss_weight * sigma[-self.k:].pow(2).sum()


@MODELS.register_module()
class TripletLoss(nn.Module):
    r"""The metric-learning objective of M&M (mix-and-match tuning, Zhan et
    al., AAAI 2018): a margin triplet loss over every valid triplet of the
    batch, on L2-normalised features :math:`\hat z`:

    .. math::
        L_{tri} = \frac{1}{|T|} \sum_{(a, p, n) \in T}
            \max(0,\ \|\hat z_a - \hat z_p\|^2 - \|\hat z_a - \hat z_n\|^2
                 + m)

    with :math:`T` all triplets of distinct :math:`a, p` of one class and
    :math:`n` of another. M&M samples its triplets from a class graph built
    over the batch; taking all of them is the deterministic limit. A batch
    without a valid triplet gives zero (with a graph, so DDP still sees every
    parameter).

    Args:
        margin (float): :math:`m`. Defaults to 0.5.
        loss_weight (float): Multiplies the loss. Defaults to 1.0.
    """

    def __init__(self, margin: float = 0.5, loss_weight: float = 1.0):
        super().__init__()
        self.margin = margin
        self.loss_weight = loss_weight

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        labels = y.argmax(dim=1) if y.dim() == 2 else y
        z = F.normalize(z, dim=1)
        dist = torch.cdist(z, z).pow(2)  # (n, n)
        same = labels[:, None] == labels[None, :]
        eye = torch.eye(len(z), dtype=torch.bool, device=z.device)
        pos = same & ~eye  # (a, p)
        neg = ~same  # (a, n)
        # (a, p, n): d(a, p) - d(a, n) + m over valid triplets
        valid = pos[:, :, None] & neg[:, None, :]
        terms = F.relu(dist[:, :, None] - dist[:, None, :] + self.margin)
        count = valid.sum()
        if count == 0:
            return z.sum() * 0.0
        return self.loss_weight * (terms * valid).sum() / count
