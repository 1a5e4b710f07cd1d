"""Fast Trainable Projection (FTP): SGD and AdamW whose steps stay in a
learned distance of the pre-trained weights.

Tian, Liu, Smith and Kira, "Fast Trainable Projection for Robust
Fine-Tuning", NeurIPS 2023 (official code: GT-RIPL/FTP, ``util/FTP.py``,
whose ``SGDP`` and ``AdamP`` these reproduce); the successor of TPGM
(Tian et al., CVPR 2023). FTP's paper is not among this repository's
papers: the definitions and defaults below are those of the official code.
"""
from typing import Iterable, Tuple

import torch
from mmengine.logging import print_log

from mmctune.registry import OPTIMIZERS

#: the param-group key that marks a group FTP projects
#: (``paramwise_cfg=dict(custom_keys={'backbone': dict(ftp=True)})``)
GROUP_KEY = 'ftp'


def _rows(t: torch.Tensor) -> tuple:
    """The dimensions of one output row: all but the first (a 1-d tensor:
    all of it, as ``torch.sum(t, dim=())`` in the official code)."""
    return tuple(range(1, t.dim())) if t.dim() > 1 else tuple(range(t.dim()))


class FastTrainableProjection:
    """The projection FTP adds to an optimizer, applied after its step.

    For each projected parameter :math:`w` with pre-trained value
    :math:`w_0` (its value at the first step), the optimizer's unprojected
    step gives :math:`\\tilde w_t`, and FTP keeps

    .. math::

        c_t = \\tilde w_t - w_0, \\qquad
        n_t = \\lVert c_t \\rVert_{1,\\mathrm{row}} + 10^{-8}, \\qquad
        w_t = w_0 + \\min\\bigl(1, \\max(0, \\gamma_t / n_t)\\bigr)\\, c_t,

    row by row (a row: one output channel; a 1-d tensor is one row), with
    one constraint :math:`\\gamma_t` per parameter tensor. At the first step
    :math:`\\gamma_1 = 10^{-8}` (the weights stay at :math:`w_0`); after it,
    :math:`\\gamma` takes an Adam step (learning rate :math:`\\mu = 10^{-2}`,
    betas 0.9 and 0.999, :math:`\\epsilon = 10^{-8}`, bias corrections of
    step :math:`t`) on the loss's gradient with respect to it through the
    previous projection,

    .. math::

        g_{\\gamma} = \\sum_{\\mathrm{rows}} \\frac{\\langle \\nabla_w L,
        c_{t-1} \\rangle_{\\mathrm{row}}}{n_{t-1}},

    a positive :math:`g_\\gamma` (a push towards :math:`w_0`) multiplied by
    ``k`` (``k`` < 1 lets the constraint tighten more slowly); then
    :math:`\\gamma_t` is clipped to :math:`[10^{-8}, \\max n_t]`.

    Only the param groups with ``ftp=True`` are projected (mmengine's
    ``paramwise_cfg.custom_keys`` puts the key there); the others take the
    plain optimizer step: the classifier, a projector, anything trained
    from scratch. The state (:math:`w_0`, :math:`\\gamma`, its moments,
    :math:`c_{t-1}` and :math:`1/n_{t-1}`) is per parameter in the
    optimizer's state, so a checkpoint resumes it. Steps count per
    parameter: where every parameter has a gradient at every step, as in
    the official code's runs, this equals its global step counter.
    """

    #: mmengine's paramwise rules that a custom key switches off for the
    #: parameters it matches (DefaultOptimWrapperConstructor.add_params)
    RULES_CUSTOM_KEYS_OVERRIDE = ('bias_lr_mult', 'bias_decay_mult',
                                  'norm_decay_mult', 'dwconv_decay_mult',
                                  'flat_decay_mult', 'dcn_offset_lr_mult')

    @classmethod
    def check_config(cls, optim_wrapper_cfg: dict) -> None:
        """Refuse a ``paramwise_cfg`` under which marking the pre-trained
        groups would silently change the experiment (called by
        ``tools/train.py`` before the Runner is built):

        - no custom key marks ``ftp=True``: nothing would be projected;
        - a longer custom key that contains a marked one (e.g. LLRD's
          ``'backbone.layer1'`` beside ``'backbone'``) but lacks
          ``ftp=True``: mmengine applies the longest matching key only, so
          the parameters it matches would not be projected;
        - a rule such as ``norm_decay_mult``: mmengine applies no rule to a
          parameter that a custom key matches, so marking the backbone
          would drop that rule for it.
        """
        name = cls.__name__
        paramwise = optim_wrapper_cfg.get('paramwise_cfg') or {}
        custom = paramwise.get('custom_keys') or {}
        marked = [k for k, v in custom.items() if v.get(GROUP_KEY, False)]
        if not marked:
            raise ValueError(cls._nothing_marked(name))
        unmarked = sorted(
            k for k, v in custom.items()
            if not v.get(GROUP_KEY, False) and any(m in k for m in marked))
        if unmarked:
            raise ValueError(
                f'{name}: optim_wrapper.paramwise_cfg.custom_keys '
                f'{unmarked} match before {marked} (mmengine applies the '
                'longest matching key only) and lack ftp=True, so their '
                'parameters would not be projected: add ftp=True to each')
        rules = [r for r in cls.RULES_CUSTOM_KEYS_OVERRIDE if r in paramwise]
        if rules:
            raise ValueError(
                f'{name}: optim_wrapper.paramwise_cfg has {rules}, which '
                'mmengine does not apply to a parameter that a custom key '
                f'matches, so marking {marked} with ftp=True would drop them '
                'there: give those parameters their settings in custom_keys '
                '(lr_mult, decay_mult) instead')

    @staticmethod
    def _nothing_marked(name: str) -> str:
        return (f'{name} projects the param groups marked {GROUP_KEY}=True '
                'and none is, so it would train as its plain optimizer. Mark '
                'the pre-trained parameters in the config: optim_wrapper = '
                "dict(paramwise_cfg=dict(custom_keys={'backbone': "
                f'dict({GROUP_KEY}=True)}})), as the FTP fragment of the '
                'configs does (docs/methods/ftp.md)')

    def _ftp_setup(self, k: float, mu: float, betas: Tuple[float, float],
                   name: str) -> None:
        if k < 0:
            raise ValueError(f'{name}: k must be >= 0, got {k}')
        if mu <= 0:
            raise ValueError(f'{name}: mu must be > 0, got {mu}')
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f'{name}: betas must be in [0, 1), got {betas}')
        self.ftp_k, self.ftp_mu, self.ftp_betas = k, mu, tuple(betas)
        counts = [0, 0]  # plain, projected
        for group in self.param_groups:
            counts[bool(group.get(GROUP_KEY, False))] += len(group['params'])
        if not counts[1]:
            raise ValueError(self._nothing_marked(name))
        print_log(
            f'{name}: {counts[1]} parameter tensors projected towards '
            f'their pre-trained values ({GROUP_KEY}=True), {counts[0]} '
            'take the plain step',
            logger='current')

    def _projected(self) -> Iterable[torch.Tensor]:
        for group in self.param_groups:
            if group.get(GROUP_KEY, False):
                for p in group['params']:
                    if p.grad is not None:
                        yield p

    @torch.no_grad()
    def step(self, closure=None):
        """The optimizer's step (the next class in the MRO: SGD's,
        AdamW's), then the projection."""
        anchors = self._ftp_anchors()
        loss = super().step(closure)
        self._ftp_project(anchors)
        return loss

    @torch.no_grad()
    def _ftp_anchors(self) -> dict:
        """Each projected parameter's value at its first step (the
        pre-trained weights, loaded before the run's first step), for the
        parameters that have none yet; stored by :meth:`_ftp_project`,
        after the optimizer's own step has created its state."""
        return {
            p: p.detach().clone()
            for p in self._projected() if 'ftp_anchor' not in self.state[p]
        }

    @torch.no_grad()
    def _ftp_project(self, anchors: dict) -> None:
        beta1, beta2 = self.ftp_betas
        for p in self._projected():
            state = self.state[p]
            if p in anchors:
                state['ftp_anchor'] = anchors[p]
            anchor = state['ftp_anchor']
            rows = _rows(p)
            c = p - anchor
            norms = c.abs().sum(dim=rows, keepdim=True) + 1e-8
            step = state.get('ftp_step', 0) + 1
            if step == 1:
                gamma = norms.new_tensor(1e-8)
                first = norms.new_zeros(())
                second = norms.new_zeros(())
            else:
                grad = ((p.grad * state['ftp_prev_c']).sum(
                    dim=rows, keepdim=True) * state['ftp_prev_scale']).sum()
                grad = torch.where(grad > 0, grad * self.ftp_k, grad)
                first = state['ftp_first'] * beta1 + (1 - beta1) * grad
                second = state['ftp_second'] * beta2 + (1 - beta2) * grad**2
                m_hat = first / (1 - beta1**step)
                v_hat = second / (1 - beta2**step)
                gamma = state['ftp_gamma'] - self.ftp_mu * m_hat / (
                    v_hat.sqrt() + 1e-8)
                gamma = torch.clamp(gamma, min=1e-8, max=norms.max())
            scale = 1.0 / norms
            p.copy_(anchor + torch.clamp(gamma * scale, 0.0, 1.0) * c)
            state.update(
                ftp_step=step,
                ftp_gamma=gamma,
                ftp_first=first,
                ftp_second=second,
                ftp_prev_c=c,
                ftp_prev_scale=scale)


@OPTIMIZERS.register_module()
class FTPSGD(FastTrainableProjection, torch.optim.SGD):
    """``torch.optim.SGD`` with :class:`FastTrainableProjection` of the
    groups marked ``ftp=True``: the official code's ``SGDP``.

    Args:
        params, lr, momentum, dampening, weight_decay, nesterov: as
            ``torch.optim.SGD``'s.
        k (float): the factor of a positive gradient of the constraint
            (the official code's gradient annealing factor). Default 1.0,
            the official code's.
        mu (float): the constraints' Adam learning rate. Default 1e-2.
        betas (tuple): the constraints' Adam betas. Default (0.9, 0.999).
    """

    def __init__(self,
                 params,
                 lr: float = 1e-3,
                 momentum: float = 0.0,
                 dampening: float = 0.0,
                 weight_decay: float = 0.0,
                 nesterov: bool = False,
                 k: float = 1.0,
                 mu: float = 1e-2,
                 betas: Tuple[float, float] = (0.9, 0.999)):
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov)
        self._ftp_setup(k, mu, betas, type(self).__name__)


@OPTIMIZERS.register_module()
class FTPAdamW(FastTrainableProjection, torch.optim.AdamW):
    """``torch.optim.AdamW`` with :class:`FastTrainableProjection` of the
    groups marked ``ftp=True``: the official code's ``AdamP`` (Adam with
    the decoupled weight decay ``lr * weight_decay * w``, as AdamW's).

    Args:
        params, lr, betas, eps, weight_decay, amsgrad: as
            ``torch.optim.AdamW``'s (``betas`` of the weights' Adam).
        k (float): as :class:`FTPSGD`'s. Default 1.0.
        mu (float): the constraints' Adam learning rate. Default 1e-2.
        ftp_betas (tuple): the constraints' Adam betas. Default
            (0.9, 0.999).
    """

    def __init__(self,
                 params,
                 lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8,
                 weight_decay: float = 0.0,
                 amsgrad: bool = False,
                 k: float = 1.0,
                 mu: float = 1e-2,
                 ftp_betas: Tuple[float, float] = (0.9, 0.999)):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad)
        self._ftp_setup(k, mu, ftp_betas, type(self).__name__)
