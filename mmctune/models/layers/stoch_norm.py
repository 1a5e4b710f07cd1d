"""Stochastic normalisation: BatchNorm layers for fine-tuning that mix the
mini-batch and the moving statistics, channel by channel, at random."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log

from mmctune.registry import MODELS


class _StochNormMixin:
    r"""StochNorm (Kou et al., "Stochastic Normalization", NeurIPS 2020;
    tllib's ``tllib.normalization.stochnorm``). In training each channel is
    normalised by one of two branches,

    .. math::
        \hat x_{0} = \frac{x - \tilde\mu}{\sqrt{\tilde\sigma^2 + \epsilon}},
        \qquad
        \hat x_{1} = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}},
        \qquad
        y = \gamma \left((1 - s)\, \hat x_{0} + s\, \hat x_{1}\right) + \beta

    with :math:`\tilde\mu, \tilde\sigma^2` the moving statistics (as they
    were before this batch), :math:`\mu_B, \sigma_B^2` those of the
    mini-batch, and :math:`s \sim \mathrm{Bernoulli}(p)` drawn per channel at
    every forward pass (one draw for the whole batch). So :math:`p` is the
    probability of the mini-batch branch (plain BN) and :math:`1 - p` that of
    the moving-statistics branch, as in tllib and the authors' code
    (``thuml/StochNorm``); the default :math:`p = 0.5` makes both equally
    likely. The moving statistics are updated from every batch as in BN. In
    evaluation the layer is BN with the moving statistics.

    Unlike tllib's layer, this one *is* a BatchNorm (a subclass), so

    - its parameters and buffers have BN's names, ``num_batches_tracked``
      included: a BN checkpoint loads strictly, a StochNorm checkpoint loads
      into BN;
    - ``build_norm_layer`` names it ``bn`` (``bn1``, ``downsample.1``...), so
      the backbone's state-dict keys do not change;
    - mmpretrain's ``norm_eval``, ``frozen_stages`` and the optimizer's
      ``norm_decay_mult`` treat it as a BN layer;
    - the mask comes from torch's generator on the input's device (tllib:
      numpy's, copied to CUDA), so runs are seeded by mmengine's
      ``randomness`` and resume exactly.

    It is not synchronised across GPUs. mmengine's ``sync_bn`` option (and
    ``torch.nn.SyncBatchNorm.convert_sync_batchnorm``) would replace it by a
    plain SyncBN: leave that option off with StochNorm.

    Args:
        num_features (int): Channels.
        p (float): Probability of the mini-batch branch, in [0, 1].
            Defaults to 0.5 (tllib's ``--prob``).
        **kwargs: ``eps``, ``momentum``, ``affine``,
            ``track_running_stats`` of BatchNorm.
    """

    #: classes that said, in this process, that they train (the log shows
    #: the method at work once, not once per layer and step)
    _announced = set()

    def _init_p(self, p: float) -> None:
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f'{type(self).__name__}: p is the probability '
                             f'of the mini-batch branch, in [0, 1]; got {p}')
        if not self.track_running_stats:
            raise ValueError(
                f'{type(self).__name__} needs track_running_stats=True: its '
                'second branch normalises with the moving statistics')
        self.p = float(p)

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, p={self.p}'

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(x)
        self._check_input_dim(x)
        if type(self) not in _StochNormMixin._announced:
            _StochNormMixin._announced.add(type(self))
            print_log(
                f'StochNorm: {type(self).__name__} layers in training use '
                f'the mini-batch statistics with probability p={self.p} per '
                'channel, the moving statistics otherwise',
                logger='current')
        # the moving-statistics branch, with the statistics before this
        # batch updates them (copies: the BN call below updates in place)
        moving = F.batch_norm(x, self.running_mean.clone(),
                              self.running_var.clone(), self.weight, self.bias,
                              False, 0.0, self.eps)
        batch = super().forward(x)  # BN in training: updates the statistics
        shape = [1] * x.dim()
        shape[1] = self.num_features
        s = torch.empty(shape, device=x.device).bernoulli_(self.p).to(x.dtype)
        return moving + s * (batch - moving)


@MODELS.register_module()
class StochNorm1d(_StochNormMixin, nn.BatchNorm1d):
    __doc__ = _StochNormMixin.__doc__ + """
    Input: (N, C) or (N, C, L).
    """

    def __init__(self, num_features: int, p: float = 0.5, **kwargs):
        super().__init__(num_features, **kwargs)
        self._init_p(p)


@MODELS.register_module()
class StochNorm2d(_StochNormMixin, nn.BatchNorm2d):
    __doc__ = _StochNormMixin.__doc__ + """
    Input: (N, C, H, W). In a config: ``norm_cfg=dict(type='StochNorm2d',
    p=0.5)`` of an mmpretrain backbone (``ResNet``, ``ResNet_CIFAR``,
    ``MobileNetV2``...), in the ``mmctune`` scope (``'mmctune.StochNorm2d'``
    from another scope).
    """

    def __init__(self, num_features: int, p: float = 0.5, **kwargs):
        super().__init__(num_features, **kwargs)
        self._init_p(p)


@MODELS.register_module()
class StochNorm3d(_StochNormMixin, nn.BatchNorm3d):
    __doc__ = _StochNormMixin.__doc__ + """
    Input: (N, C, D, H, W).
    """

    def __init__(self, num_features: int, p: float = 0.5, **kwargs):
        super().__init__(num_features, **kwargs)
        self._init_p(p)


_STOCH = {
    nn.BatchNorm1d: StochNorm1d,
    nn.BatchNorm2d: StochNorm2d,
    nn.BatchNorm3d: StochNorm3d,
}


@torch.no_grad()
def convert_to_stochnorm(module: nn.Module, p: float = 0.5) -> nn.Module:
    """Replace every ``BatchNorm{1,2,3}d`` in ``module`` (itself included)
    by the StochNorm layer of the same dimension, with the same settings and
    the same tensors (weights and statistics are copied), as tllib's
    ``convert_model``; for models built outside a config. SyncBN and other
    BN subclasses are refused (not silently left as they are). Returns the
    converted module (a new object when ``module`` itself is a BN)."""
    if type(module) in _STOCH:
        new = _STOCH[type(module)](
            module.num_features,
            p=p,
            eps=module.eps,
            momentum=module.momentum,
            affine=module.affine,
            track_running_stats=module.track_running_stats)
        new.load_state_dict(module.state_dict())
        new.train(module.training)
        for name, param in module.named_parameters():
            getattr(new, name).requires_grad_(param.requires_grad)
        return new.to(next(module.buffers()).device)
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and not isinstance(
            module, _StochNormMixin):
        raise TypeError(f'convert_to_stochnorm: {type(module).__name__} is '
                        'a BatchNorm variant with no StochNorm counterpart')
    for name, child in module.named_children():
        new = convert_to_stochnorm(child, p)
        if new is not child:
            setattr(module, name, new)
    return module
