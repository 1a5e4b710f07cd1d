"""BatchNorm over groups of the batch: one GPU's BN of a batch that several
GPUs share, on one device."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmctune.registry import MODELS


@MODELS.register_module()
class SplitBatchNorm2d(nn.BatchNorm2d):
    r"""BatchNorm whose training statistics are those of ``num_splits``
    groups of the batch, each group normalised by its own mean and variance,
    as ``num_splits`` GPUs with plain (unsynchronised) BN each normalise
    their share. MoCo's one-GPU implementations emulate its 8-GPU shuffle-BN
    this way (the authors' Colab demo, ``SplitBatchNorm``): with the key
    batch shuffled before the key encoder, a key is normalised with other
    images than its query, so BN's statistics cannot leak which key is the
    positive (He et al., MoCo, §3.3).

    Group :math:`g` is the samples :math:`i \equiv g \pmod{S}` of the
    batch of :math:`N` (:math:`S` = ``num_splits``, :math:`N` a multiple of
    :math:`S`):

    .. math::
        y_i = \gamma\,\frac{x_i - \mu_{g(i)}}{\sqrt{\sigma^2_{g(i)} +
        \epsilon}} + \beta

    with :math:`\mu_g, \sigma^2_g` the per-channel mean and (biased)
    variance of group :math:`g`. The running statistics take the mean over
    the groups of each group's BN update (the demo's), so at evaluation,
    and with ``num_splits=1``, it is ``nn.BatchNorm2d``; its state dict is
    BN's, so checkpoints load into plain BN. In a config:
    ``norm_cfg=dict(type='SplitBatchNorm2d', num_splits=8)`` of an
    mmpretrain backbone, in the ``mmctune`` scope.

    Args:
        num_features (int): Channels.
        num_splits (int): Groups per batch. Defaults to 8.
        **kwargs: as ``nn.BatchNorm2d``.
    """

    def __init__(self, num_features: int, num_splits: int = 8, **kwargs):
        if num_splits < 1:
            raise ValueError(f'num_splits must be >= 1, got {num_splits}')
        super().__init__(num_features, **kwargs)
        self.num_splits = num_splits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.num_splits == 1:
            return super().forward(x)
        n, c, h, w = x.shape
        s = self.num_splits
        if n % s:
            raise ValueError(
                f'SplitBatchNorm2d: a batch of {n} does not split into '
                f'{s} equal groups (num_splits); use a batch that is a '
                f'multiple of {s}')
        factor = 0.0
        if self.track_running_stats:
            self.num_batches_tracked.add_(1)
            factor = (1.0 / float(self.num_batches_tracked)
                      if self.momentum is None else self.momentum)
        # (N, C, H, W) -> (N / S, S * C, H, W): channel block g holds the
        # samples i = g (mod S), so BN over it is BN over group g
        mean = var = None
        if self.track_running_stats:
            mean = self.running_mean.repeat(s)
            var = self.running_var.repeat(s)
        weight = self.weight.repeat(s) if self.affine else None
        bias = self.bias.repeat(s) if self.affine else None
        out = F.batch_norm(
            x.reshape(n // s, s * c, h, w), mean, var, weight, bias, True,
            factor, self.eps).reshape(n, c, h, w)
        if self.track_running_stats:
            with torch.no_grad():
                self.running_mean.copy_(mean.view(s, c).mean(dim=0))
                self.running_var.copy_(var.view(s, c).mean(dim=0))
        return out

    def extra_repr(self) -> str:
        return super().extra_repr() + f', num_splits={self.num_splits}'
