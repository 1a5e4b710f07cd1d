import math
from typing import Optional

import torch
import torch.nn as nn

from mmctune.registry import MODELS


@MODELS.register_module()
class SupConLoss(nn.Module):
    r"""Supervised contrastive loss over originals and generated pairs.

    For ``n`` L2-normalised projected features ``v`` with labels ``y`` and,
    optionally, one generated positive ``v_pos[i]`` and one generated negative
    ``v_neg[i]`` per anchor ``i`` (row ``i`` made for anchor ``i``):

    .. math::

        p_{ij} = \frac{\exp(v_i \cdot v_j / \tau)}
                      {\sum_{k \in A_i} \exp(v_i \cdot v_k / \tau)}, \qquad
        L = -\frac{1}{n} \sum_i \frac{1}{|P_i|}
            \sum_{j \in P_i} w_{ij} \log p_{ij}

    with :math:`P_i` = the other originals of the anchor's class
    :math:`\cup \{v^+_i\}`, :math:`A_i` = all other originals
    :math:`\cup \{v^+_i, v^-_i\}` (the Core-tuning paper's Algorithm 1; Eq. 1
    when there are no generated pairs) and :math:`w_{ij} = 1` here,
    :math:`1 - p_{ij}` for :class:`FocalSupConLoss`. Computed with
    log-sum-exp. An anchor with an empty :math:`P_i` adds 0 to the sum and
    never a NaN; ``n`` counts every anchor.

    Args:
        temperature (float): :math:`\tau`. Defaults to 0.07.
        positives (str): ``'all'`` (the definition above) or ``'generated'``:
            only :math:`v^+_i` is a positive, and the other originals of the
            anchor's class leave :math:`A_i` too (they are neither positives
            nor negatives; paper appendix E.6, Table 14). Defaults to
            ``'all'``.
        loss_weight (float): Multiplies the loss: the contrastive term's
            weight :math:`\eta` in a head's objective (the one knob; the
            heads multiply by nothing). Defaults to 1.0.
        detach_focal_weight (bool): :class:`FocalSupConLoss` only.

    Subclasses change the weight (:meth:`weight`) or the denominator
    (:meth:`log_denominator`) and keep the candidate sets.
    """
    focal = False

    def __init__(self,
                 temperature: float = 0.07,
                 positives: str = 'all',
                 loss_weight: float = 1.0,
                 detach_focal_weight: bool = False):
        super().__init__()
        if positives not in ('all', 'generated'):
            raise ValueError(f"positives must be 'all' or 'generated', got "
                             f'{positives!r}')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if not loss_weight >= 0:
            raise ValueError(f'{type(self).__name__}: loss_weight (eta) must '
                             f'be >= 0, got {loss_weight}')
        self.temperature = temperature
        self.positives = positives
        self.loss_weight = loss_weight
        self.detach_focal_weight = detach_focal_weight

    def forward(self,
                v: torch.Tensor,
                y: torch.Tensor,
                v_pos: Optional[torch.Tensor] = None,
                v_neg: Optional[torch.Tensor] = None) -> torch.Tensor:
        """
        Args:
            v (Tensor): (n, D) L2-normalised features of the originals.
            y (Tensor): (n, ) class indices or (n, K) one-hot / soft labels
                (the class is the arg-max).
            v_pos, v_neg (Tensor, optional): (n, D) L2-normalised features of
                the generated positive / negative of each anchor.
        """
        n = v.size(0)
        cls = y if y.dim() == 1 else y.argmax(dim=1)
        eye = torch.eye(n, dtype=torch.bool, device=v.device)
        same = cls[:, None] == cls[None, :]

        # candidates of anchor i: the originals, then v_pos[i], v_neg[i]
        sims = [v @ v.t()]
        in_a = [~eye]  # A_i
        if self.positives == 'all':
            pos_mask = [same & ~eye]
        else:  # same-class originals are neither positives nor negatives
            in_a = [~same]
            pos_mask = [torch.zeros_like(same)]
        for other, is_pos in ((v_pos, True), (v_neg, False)):
            if other is not None:
                sims.append((v * other).sum(dim=1, keepdim=True))
                in_a.append(
                    torch.ones((n, 1), dtype=torch.bool, device=v.device))
                pos_mask.append(
                    torch.full((n, 1),
                               is_pos,
                               dtype=torch.bool,
                               device=v.device))
        sims = torch.cat(sims, dim=1)
        in_a = torch.cat(in_a, dim=1)
        pos_mask = torch.cat(pos_mask, dim=1)
        # an anchor without positives adds 0 (its log_p are masked to 0
        # below): no branch on pos_mask.any(), which would read it back to
        # the host (a GPU synchronisation in every step)
        logits = (sims / self.temperature).masked_fill(~in_a, float('-inf'))
        log_norm = self.log_denominator(logits, sims, pos_mask, in_a)
        # anchors whose A_i is empty would give -inf - (-inf): keep finite
        log_norm = log_norm.masked_fill(torch.isinf(log_norm), 0.0)
        # zero where not a positive before any product, so that no -inf ever
        # meets a 0 (which would make a NaN gradient)
        log_p = (logits - log_norm).masked_fill(~pos_mask, 0.0)
        weight = self.weight(log_p)
        per_anchor = -(weight * log_p).sum(dim=1) / pos_mask.sum(dim=1).clamp(
            min=1)
        return self.loss_weight * per_anchor.sum() / n

    def log_denominator(self, logits, sims, pos_mask, in_a) -> torch.Tensor:
        """``log sum_{k in A_i} exp(v_i . v_k / tau)``, (n, 1)."""
        return torch.logsumexp(logits, dim=1, keepdim=True)

    def weight(self, log_p: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(log_p)


@MODELS.register_module()
class FocalSupConLoss(SupConLoss):
    r"""Core-tuning's focal contrastive loss :math:`L^f_{con}`: SupCon with
    each positive's term weighted by :math:`1 - p_{ij}`, so pairs the model
    already gets right count less (see :class:`SupConLoss`).

    Args:
        detach_focal_weight (bool): Stop the gradient through the weight
            :math:`1 - p_{ij}`. Defaults to False, as in the paper's
            formula.
        Others: see :class:`SupConLoss`.
    """
    focal = True

    def weight(self, log_p: torch.Tensor) -> torch.Tensor:
        weight = 1.0 - log_p.exp()
        return weight.detach() if self.detach_focal_weight else weight


@MODELS.register_module()
class TCLLoss(SupConLoss):
    r"""Tuned contrastive loss (TCL): SupCon with the denominator

    .. math::

        D(v_i) = \sum_{p \in P_i} e^{v_i \cdot v_p / \tau}
               + k_1 \sum_{p \in P_i} e^{-v_i \cdot v_p}
               + k_2 \sum_{a \in A_i \setminus P_i} e^{v_i \cdot v_a / \tau}

    (the second term has no temperature) and
    :math:`L = -\frac{1}{n} \sum_i \frac{1}{|P_i|} \sum_{p \in P_i}
    \log \frac{e^{v_i \cdot v_p / \tau}}{D(v_i)}`. ``P_i`` and ``A_i``
    are SupCon's, generated pairs included (:class:`SupConLoss`), so TCL
    swaps in wherever a contrastive loss is configured. With ``k1=0, k2=1``
    it is SupCon. Computed as one log-sum-exp over the three terms.

    Args:
        temperature (float): Defaults to 0.1.
        k1 (float): Weight of the positives' repelling term. Defaults to
            5000.
        k2 (float): Weight of the negatives. Defaults to 1.
        Others: see :class:`SupConLoss`.
    """

    def __init__(self,
                 temperature: float = 0.1,
                 k1: float = 5000.0,
                 k2: float = 1.0,
                 **kwargs):
        super().__init__(temperature=temperature, **kwargs)
        if k1 < 0 or k2 <= 0:
            raise ValueError(f'need k1 >= 0 and k2 > 0, got {k1}, {k2}')
        self.k1 = k1
        self.k2 = k2

    def log_denominator(self, logits, sims, pos_mask, in_a) -> torch.Tensor:
        inf = float('-inf')
        terms = [
            logits.masked_fill(~pos_mask, inf),
            (logits + math.log(self.k2)).masked_fill(pos_mask, inf)
        ]
        if self.k1 > 0:
            terms.append(
                (math.log(self.k1) - sims).masked_fill(~pos_mask, inf))
        return torch.logsumexp(torch.cat(terms, dim=1), dim=1, keepdim=True)
