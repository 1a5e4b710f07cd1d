"""Feature-space pair generation: Core-tuning's hardness-directed mixup and
plain manifold mixup (the paper's Table 2 "mix" ablation).

Both are called as ``miner(z, y)`` with encoder features ``z`` (B, C) and
one-hot or soft labels ``y`` (B, K) and return
``(pos_feats, pos_labels, neg_feats, neg_labels)``, row ``i`` generated for
anchor ``i``; ``neg_*`` may be None. They mine whatever batch they are given:
a head that gathers features from all ranks passes the global batch.
"""
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmctune.registry import MODELS

Pairs = Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor],
              Optional[torch.Tensor]]


class _SeededMixup(nn.Module):
    """Mixing weights ``lambda ~ Beta(alpha, alpha)`` and uniform choices,
    drawn from generators seeded with ``seed``. With ``seed=None`` the seed
    is drawn once and broadcast from rank 0, so every rank that mines the
    same global batch draws the same pairs. The draw leaves NumPy's global
    generator where it was: the data pipeline's crops and flips, which draw
    from it, stay those of a run without the miner (CE-tuning's at the same
    seed), so gains paired by seed compare runs on the same batches."""

    def __init__(self, alpha: float = 1.0, seed: Optional[int] = None):
        super().__init__()
        if alpha <= 0:
            raise ValueError(f'alpha must be > 0, got {alpha}')
        self.alpha = alpha
        self.seed = seed
        self._np_rng = None
        self._torch_rngs = {}

    def _base_seed(self) -> int:
        if self.seed is None:
            from mmengine.dist import sync_random_seed

            # mmengine draws it from NumPy's global generator
            state = np.random.get_state()
            self.seed = int(sync_random_seed())
            np.random.set_state(state)
        return self.seed

    def sample_lambda(self, n: int, like: torch.Tensor) -> torch.Tensor:
        if self._np_rng is None:
            self._np_rng = np.random.default_rng(self._base_seed())
        lam = self._np_rng.beta(self.alpha, self.alpha, size=n)
        return torch.as_tensor(lam, dtype=like.dtype, device=like.device)

    def rand(self, shape, device) -> torch.Tensor:
        key = str(device)
        if key not in self._torch_rngs:
            gen = torch.Generator(device=device)
            gen.manual_seed(self._base_seed())
            self._torch_rngs[key] = gen
        return torch.rand(
            shape, generator=self._torch_rngs[key], device=device)

    def get_rng_state(self) -> dict:
        """The seed and the generators' states, which
        :class:`~mmctune.engine.hooks.RandomStateHook` saves with every
        checkpoint, so that a resumed run draws the pairs the uninterrupted
        run would have drawn."""
        np_state = None
        if self._np_rng is not None:
            np_state = self._np_rng.bit_generator.state
        return dict(
            seed=self.seed,
            numpy=np_state,
            torch={
                k: g.get_state()
                for k, g in self._torch_rngs.items()
            })

    def set_rng_state(self, state: dict) -> None:
        self.seed = state['seed']
        self._np_rng = None
        if state['numpy'] is not None:
            self._np_rng = np.random.default_rng()
            self._np_rng.bit_generator.state = state['numpy']
        self._torch_rngs = {}
        for key, value in state['torch'].items():
            gen = torch.Generator(device=key)
            gen.set_state(value.cpu())
            self._torch_rngs[key] = gen


def _classes(y: torch.Tensor) -> torch.Tensor:
    return y if y.dim() == 1 else y.argmax(dim=1)


@MODELS.register_module()
class HardnessDirectedMixup(_SeededMixup):
    r"""Core-tuning's hard pair generation (paper Sec. 4.1), vectorised.

    For anchor :math:`i` (cosine similarity on L2-normalised ``z``, self
    excluded):

    - hard positive :math:`z^+_i = \lambda z_{hp} + (1-\lambda) z_{hn}`,
      :math:`y^+_i = \lambda y_{hp} + (1-\lambda) y_{hn}`, with
      :math:`z_{hp}` the same-class sample *least* similar to
      :math:`z_i` (the anchor itself if it has no other same-class sample),
      :math:`z_{hn}` the different-class sample *most* similar to
      :math:`z_i`, :math:`\lambda \sim Beta(\alpha, \alpha)` clipped to
      :math:`\lambda \ge \lambda_p`;
    - semi-hard negative :math:`z^-_i = (1-\lambda) z_i + \lambda z_n`,
      :math:`y^-_i = (1-\lambda) y_i + \lambda y_n`, with :math:`z_n` a
      random different-class sample and :math:`\lambda \sim Beta(\alpha,
      \alpha)` clipped to :math:`\lambda \ge \lambda_n`.

    A batch with a single class has no different-class sample for any
    anchor: then the hard positive is the hardest real positive itself
    (nothing to mix it with) and no negatives are generated (``neg_*`` are
    None). Classes are the arg-max of ``y``.

    Args:
        alpha (float): Beta distribution parameter. Defaults to 1.0.
        lambda_n (float): Lower bound of the negatives' mixing weight.
            Defaults to 0.8.
        lambda_p (float): Lower bound of the positives' mixing weight.
            Defaults to 0 (no clipping).
        seed (int, optional): Seed of the generators. Defaults to None (one
            drawn and shared by all ranks).
    """

    def __init__(self,
                 alpha: float = 1.0,
                 lambda_n: float = 0.8,
                 lambda_p: float = 0.0,
                 seed: Optional[int] = None):
        super().__init__(alpha, seed)
        for name, value in (('lambda_n', lambda_n), ('lambda_p', lambda_p)):
            if not 0 <= value <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {value}')
        self.lambda_n = lambda_n
        self.lambda_p = lambda_p

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> Pairs:
        n = z.size(0)
        cls = _classes(y)
        with torch.no_grad():
            zn = F.normalize(z, dim=1)
            sim = zn @ zn.t()
            eye = torch.eye(n, dtype=torch.bool, device=z.device)
            same = cls[:, None] == cls[None, :]
            pos_mask, neg_mask = same & ~eye, ~same
            hardest_pos = sim.masked_fill(~pos_mask, float('inf')).argmin(1)
            hardest_pos = torch.where(
                pos_mask.any(1), hardest_pos, torch.arange(n, device=z.device))
            has_neg = bool(neg_mask.any())
            if has_neg:
                hardest_neg = sim.masked_fill(~neg_mask,
                                              float('-inf')).argmax(1)
                # a uniformly random different-class partner per anchor
                random_neg = self.rand(
                    (n, n), z.device).masked_fill(~neg_mask, -1.0).argmax(1)

        lam_p = self.sample_lambda(n, z).clamp(min=self.lambda_p)
        lam_n = self.sample_lambda(n, z).clamp(min=self.lambda_n)
        if not has_neg:
            return z[hardest_pos], y[hardest_pos].to(z.dtype), None, None
        lp, ln = lam_p[:, None], lam_n[:, None]
        yf = y.to(z.dtype)
        pos = lp * z[hardest_pos] + (1 - lp) * z[hardest_neg]
        pos_y = lp * yf[hardest_pos] + (1 - lp) * yf[hardest_neg]
        neg = (1 - ln) * z + ln * z[random_neg]
        neg_y = (1 - ln) * yf + ln * yf[random_neg]
        return pos, pos_y, neg, neg_y


@MODELS.register_module()
class ManifoldMixup(_SeededMixup):
    r"""Manifold mixup of encoder features with a random partner (the
    paper's Table 2 "mix" row): :math:`\tilde z_i = \lambda z_i +
    (1-\lambda) z_{\pi(i)}`, :math:`\tilde y_i = \lambda y_i + (1-\lambda)
    y_{\pi(i)}`, :math:`\lambda \sim Beta(\alpha, \alpha)`, :math:`\pi` a
    random permutation. Returned as ``(mixed, mixed_labels, None, None)``.
    """

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> Pairs:
        n = z.size(0)
        perm = self.rand((n, ), z.device).argsort()
        lam = self.sample_lambda(n, z)[:, None]
        yf = y.to(z.dtype)
        return (lam * z + (1 - lam) * z[perm], lam * yf + (1 - lam) * yf[perm],
                None, None)
