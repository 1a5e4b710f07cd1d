"""Projected gradient descent (PGD) attacks in pixel space.

Written here rather than taken from ``torchattacks`` at run time: that
package's metadata pins ``requests~=2.25.1`` (it cannot be installed beside a
current ``requests`` without ``--no-deps``), it expects a model that takes
[0, 1] images, and it switches the whole model's mode itself. The algorithm is
``torchattacks``' PGD / PGDL2 step for step (same random start, same update,
same projections), and ``tests/test_models/test_utils/test_attacks.py``
checks that both give the same adversarial images on the same model, inputs
and seed.
"""
import math
from contextlib import contextmanager, nullcontext
from typing import Iterator, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm

from mmctune.registry import MODELS


@contextmanager
def bn_stats_kept(model: nn.Module) -> Iterator[None]:
    """Restore every BatchNorm's running statistics (and batch counter) on
    exit, so forward passes in training mode inside leave them as they were.
    """
    saved = [(m, {
        k: v.clone()
        for k, v in m.named_buffers(recurse=False) if v is not None
    }) for m in model.modules() if isinstance(m, _BatchNorm)]
    try:
        yield
    finally:
        with torch.no_grad():
            for m, buffers in saved:
                for k, v in buffers.items():
                    getattr(m, k).copy_(v)


def _normalisation(model: nn.Module,
                   inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(mean, std)`` of the model's data preprocessor, broadcastable to
    ``inputs`` (0 and 1 when it does not normalise)."""
    dp = getattr(model, 'data_preprocessor', None)
    if getattr(dp, '_enable_normalize', False):
        shape = (1, -1) + (1, ) * (inputs.dim() - 2)
        return (dp.mean.view(shape).to(inputs), dp.std.view(shape).to(inputs))
    return inputs.new_zeros(()), inputs.new_ones(())


def _flat_norm(x: torch.Tensor) -> torch.Tensor:
    """Per-sample ℓ2 norm, shaped to broadcast over ``x``."""
    return x.flatten(1).norm(p=2, dim=1).view(-1, *([1] * (x.dim() - 1)))


@MODELS.register_module()
class PGDAttack:
    """PGD (Madry et al., 2018) under an ℓ∞ or ℓ2 budget, untargeted, on
    the cross-entropy of the model's logits.

    The attack works on the images the model's data preprocessor receives:
    ``inputs`` are the preprocessor's output (normalised with its mean and
    std); the perturbation lives in pixel space scaled to [0, 1]
    (``pixel_max`` is what 1 stands for before normalisation: 255 for
    mmpretrain's uint8 pipelines), so ``eps=4/255`` (ℓ∞) and ``eps=0.5``
    (ℓ2) mean what they mean in the papers. Each step, on ``x`` in [0, 1]:

    - ℓ∞: ``x ← x + step_size · sign(∇ₓL)``, then ``δ`` clipped to
      ``[-ε, ε]`` element-wise;
    - ℓ2: ``x ← x + step_size · ∇ₓL / ‖∇ₓL‖₂``, then ``δ`` scaled down to
      ``‖δ‖₂ ≤ ε`` per sample;

    and ``x`` clipped to the valid range [0, 1]. ``L`` is the cross-entropy
    summed over the batch (torchattacks takes the mean: the same steps,
    since they depend on the gradient's direction only, but an image's
    gradient would shrink as 1/N and underflow in an fp16 backward under
    autocast). The random start is
    ``U(-ε, ε)`` (ℓ∞) or a uniformly random radius along a Gaussian
    direction (ℓ2), as torchattacks. ``ε = 0`` returns ``inputs`` unchanged.

    Args:
        norm (str): ``'linf'`` or ``'l2'``.
        eps (float): The budget, for images in [0, 1].
        steps (int): Number of steps. Defaults to 10 (PGD-10).
        step_size (float, optional): Defaults to ``2.5 · eps / steps``
            (Madry et al.; the ``robustness`` library's default).
        random_start (bool): Defaults to True.
        pixel_max (float): The pixel value of white before normalisation.
            Defaults to 255.
        bn_mode (str): The model's mode while the attack runs. ``'eval'``
            (default, as torchattacks): the whole model in eval mode, BN with
            its running statistics, dropout off. ``'train'``: training mode,
            BN normalising with the batch's statistics; the running
            statistics are restored afterwards, so the attack's forward
            passes never enter them. The model's mode is restored either way.
    """

    def __init__(self,
                 norm: str,
                 eps: float,
                 steps: int = 10,
                 step_size: Optional[float] = None,
                 random_start: bool = True,
                 pixel_max: float = 255.,
                 bn_mode: str = 'eval'):
        if norm not in ('linf', 'l2'):
            raise ValueError(f"PGDAttack: norm must be 'linf' or 'l2', "
                             f'got {norm!r}')
        if not eps >= 0:
            raise ValueError(f'PGDAttack: eps must be >= 0, got {eps}')
        if not (isinstance(steps, int) and steps >= 1):
            raise ValueError(f'PGDAttack: steps must be a positive int, '
                             f'got {steps!r}')
        if step_size is None:
            step_size = 2.5 * eps / steps
        if not step_size >= 0:
            raise ValueError(
                f'PGDAttack: step_size must be >= 0, got {step_size}')
        if bn_mode not in ('eval', 'train'):
            raise ValueError(f"PGDAttack: bn_mode must be 'eval' or "
                             f"'train', got {bn_mode!r}")
        if not pixel_max > 0:
            raise ValueError(
                f'PGDAttack: pixel_max must be > 0, got {pixel_max}')
        self.norm = norm
        self.eps = float(eps)
        self.steps = steps
        self.step_size = float(step_size)
        self.random_start = random_start
        self.pixel_max = float(pixel_max)
        self.bn_mode = bn_mode

    @property
    def name(self) -> str:
        """E.g. ``pgd10-linf-4/255`` or ``pgd10-l2-0.5``."""
        eps = f'{self.eps:g}'
        if self.norm == 'linf' and self.eps > 0:
            k = self.eps * 255
            if math.isclose(k, round(k), abs_tol=1e-6):
                eps = f'{round(k)}/255'
        return f'pgd{self.steps}-{self.norm}-{eps}'

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(norm={self.norm!r}, '
                f'eps={self.eps:g}, steps={self.steps}, '
                f'step_size={self.step_size:g}, '
                f'random_start={self.random_start}, bn_mode={self.bn_mode!r})')

    def _random_start(self, x: torch.Tensor) -> torch.Tensor:
        if self.norm == 'linf':
            return torch.empty_like(x).uniform_(-self.eps, self.eps)
        delta = torch.empty_like(x).normal_()
        r = torch.zeros_like(_flat_norm(delta)).uniform_(0, 1)
        return delta * (r / _flat_norm(delta) * self.eps)

    def _project(self, delta: torch.Tensor) -> torch.Tensor:
        if self.norm == 'linf':
            return delta.clamp(-self.eps, self.eps)
        scale = (self.eps / _flat_norm(delta)).clamp(max=1)
        return delta * scale

    def __call__(self, model: nn.Module, inputs: torch.Tensor,
                 labels: torch.Tensor) -> torch.Tensor:
        """Adversarial versions of ``inputs``.

        Args:
            model (nn.Module): A model whose ``model(x, mode='tensor')``
                returns logits (mmpretrain's ``ImageClassifier`` and
                subclasses), with its data preprocessor.
            inputs (Tensor): The data preprocessor's output, (N, C, H, W).
            labels (Tensor): Class indices (N, ) or soft labels (N, K).

        Returns:
            Tensor: Like ``inputs`` (normalised), within the budget and the
            valid pixel range; without gradient.
        """
        inputs = inputs.detach()
        if self.eps == 0 or self.step_size == 0 and not self.random_start:
            return inputs.clone()
        mean, std = _normalisation(model, inputs)
        scale = self.pixel_max / std  # a [0, 1] pixel step, normalised
        x = (inputs * std + mean) / self.pixel_max  # the images in [0, 1]

        def model_input(adv):
            # the clean tensor plus the perturbation: eps=0 gives `inputs`
            # exactly, with no round trip through pixel space
            return inputs + (adv - x) * scale

        adv = x.clone()
        if self.random_start:
            adv = (x + self._random_start(x)).clamp(0, 1)
        was_training = model.training
        model.train(self.bn_mode == 'train')
        # a forward in training mode would update BN's running statistics
        kept = bn_stats_kept(model) if self.bn_mode == 'train' \
            else nullcontext()
        try:
            with kept, torch.enable_grad():
                for _ in range(self.steps):
                    adv.requires_grad_(True)
                    logits = model(model_input(adv), mode='tensor')
                    # class indices or soft labels (batch mixup / cutmix).
                    # The sum, not the mean: the same steps (sign, or the
                    # per-sample l2 direction, of the gradient), but each
                    # image's gradient does not shrink as 1/N, which
                    # underflows to 0 in an fp16 (autocast) backward
                    loss = F.cross_entropy(
                        logits.float(), labels, reduction='sum')
                    grad, = torch.autograd.grad(loss, adv)
                    if self.norm == 'linf':
                        step = grad.sign()
                    else:
                        step = grad / (_flat_norm(grad) + 1e-10)
                    adv = adv.detach() + self.step_size * step
                    adv = (x + self._project(adv - x)).clamp(0, 1)
        finally:
            model.train(was_training)
        return model_input(adv).detach()
