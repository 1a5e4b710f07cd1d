"""Regularisers towards the pre-trained model: L2-SP and DELTA.

:class:`~mmctune.models.classifiers.RegularizedClassifier` keeps a frozen
copy of the pre-trained backbone (``model.reference``) and calls each as
``reg(model, fmaps, ref_fmaps)`` (see :class:`~.base.BaseRegularizer`).

Defaults and formulas follow the Transfer-Learning-Library
(``tllib.regularization.delta``, ``examples/task_adaptation/
image_classification/delta.py``), the implementation papers compare with.
"""
from contextlib import contextmanager
from typing import Dict, List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_reduce

from mmctune.registry import MODELS
from ..utils.capture import capture_outputs
from .base import BaseRegularizer


def _head_l2(model) -> torch.Tensor:
    """:math:`\\frac12 \\|w\\|^2` over the parameters of the new head."""
    return 0.5 * sum(p.pow(2).sum() for p in model.head.parameters())


@MODELS.register_module()
class L2SPRegularizer(BaseRegularizer):
    r"""L2-SP (Li et al., "Explicit Inductive Bias for Transfer Learning with
    Convolutional Networks", ICML 2018):

    .. math::
        \Omega(w) = \frac{\alpha}{2} \|w_S - w_S^0\|_2^2
                  + \frac{\beta}{2} \|w_{\bar S}\|_2^2

    over every backbone parameter :math:`w_S` (pre-trained value
    :math:`w^0_S`, BN affine parameters included) and every parameter of the
    new head :math:`w_{\bar S}`. :math:`\alpha = \beta = 0.01` as tllib's
    ``SPRegularization`` + ``L2Regularization``; use it with weight decay 0.

    Returns ``loss_l2sp`` and ``loss_head_l2``.
    """

    def __init__(self, alpha: float = 0.01, beta: float = 0.01):
        super().__init__()
        self.alpha = alpha
        self.beta = beta

    def forward(self, model, fmaps, ref_fmaps) -> dict:
        ref = dict(model.reference.named_buffers())
        dist = sum((p - ref[name]).pow(2).sum()
                   for name, p in model.backbone.named_parameters())
        return dict(
            loss_l2sp=0.5 * self.alpha * dist,
            loss_head_l2=self.beta * _head_l2(model))


@MODELS.register_module()
class DELTARegularizer(BaseRegularizer):
    r"""DELTA (Li et al., "DELTA: DEep Learning Transfer using Feature Map
    with Attention for Convolutional Networks", ICLR 2019): the behaviour of
    the fine-tuned backbone is kept close to the pre-trained one where it
    matters for the new task:

    .. math::
        \Omega = \frac{\alpha}{2} \sum_j \sum_{b} \sum_{c} C_j\, a_{jc}
            \frac{\|FM_{jbc}(w, x_b) - FM_{jbc}(w^0, x_b)\|_2^2}{H_j W_j}
            + \frac{\beta}{2} \|w_{\bar S}\|_2^2

    over the output feature maps :math:`FM_j` (:math:`C_j` channels,
    :math:`H_j \times W_j`) of the backbone's stages (default: every ResNet
    stage), summed over the batch as in tllib's
    ``AttentionBehavioralRegularization``, plus L2 on the new head.
    :math:`\alpha = \beta = 0.01` (tllib's ``--trade-off-backbone`` /
    ``--trade-off-head``); use it with weight decay 0.

    The channel attention :math:`a_j = \mathrm{softmax}(\tilde d_j / 5)` of
    layer :math:`j` comes from :math:`d_{jc}`, the increase of the
    cross-entropy of a linear classifier on the pre-trained features when
    channel :math:`c` of :math:`FM_j` is zeroed, averaged over a few training
    batches and standardised (:math:`\tilde d_j`). It is computed once,
    before training, by :class:`~mmctune.engine.hooks.DELTAAttentionHook`
    (:meth:`compute_attention`) and kept in buffers, so checkpoints carry it
    and a resumed run does not recompute it. ``attention=False`` gives the
    plain feature-map distance (:math:`a_{jc} = 1 / C_j`).

    Args:
        alpha (float): Weight of the feature-map distance.
        beta (float): Weight of the head's L2.
        layers (Sequence[str], optional): Backbone modules whose outputs are
            compared. Defaults to the ResNet stages (``backbone.res_layers``).
        attention (bool): Use the channel attention. Defaults to True.
    """

    def __init__(self,
                 alpha: float = 0.01,
                 beta: float = 0.01,
                 layers: Sequence[str] = None,
                 attention: bool = True):
        super().__init__()
        self.alpha = alpha
        self.beta = beta
        self._layers = list(layers) if layers is not None else None
        self.attention = attention
        self.register_buffer('attention_ready', torch.tensor(False))

    def layers(self, model) -> List[str]:
        if self._layers is None:
            if not hasattr(model.backbone, 'res_layers'):
                raise ValueError(
                    f'DELTARegularizer: {type(model.backbone).__name__} has '
                    f'no `res_layers`; name the compared modules in '
                    f'`layers=`')
            self._layers = list(model.backbone.res_layers)
        return self._layers

    def setup(self, model) -> None:
        """Make one attention buffer per layer (called by the model once the
        backbone exists), sized by the layer's output channels."""
        modules = dict(model.backbone.named_modules())
        for i, name in enumerate(self.layers(model)):
            if name not in modules:
                raise KeyError(f'DELTARegularizer: the backbone has no module '
                               f'{name!r}')
            channels = _out_channels(modules[name])
            self.register_buffer(f'attention_{i}',
                                 torch.full((channels, ), 1.0 / channels))

    def attention_weights(self) -> List[torch.Tensor]:
        return [
            getattr(self, f'attention_{i}') for i in range(len(self._layers))
        ]

    def forward(self, model, fmaps, ref_fmaps) -> dict:
        if self.attention and not bool(self.attention_ready):
            raise RuntimeError(
                'DELTARegularizer: the channel attention has not been '
                'computed. Add dict(type="DELTAAttentionHook") to '
                '`custom_hooks`, or set attention=False.')
        total = 0.0
        for name, att in zip(self._layers, self.attention_weights()):
            fm, ref = fmaps[name], ref_fmaps[name].detach()
            b, c = fm.shape[:2]
            hw = fm[0, 0].numel()
            sq = (fm - ref).pow(2).reshape(b, c, hw).sum(dim=2)  # (b, c)
            total = total + (c * att * sq / hw).sum()
        return dict(
            loss_delta=0.5 * self.alpha * total,
            loss_head_l2=self.beta * _head_l2(model))

    @torch.no_grad()
    def compute_attention(self, model, batches) -> None:
        """Fill the attention buffers from ``batches``, a list of
        ``(inputs, labels)`` already pre-processed, using ``model.reference``
        and a linear classifier fitted here on its pooled features. With
        several processes the loss increases are averaged over all, so every
        rank ends with the same attention."""
        if not batches:
            raise ValueError('DELTARegularizer: no batches to compute the '
                             'channel attention from')
        ref = model.reference

        def pooled(backbone_outs):
            feats = tuple(backbone_outs)
            if model.with_neck:
                feats = model.neck(feats)
            return model.head.pre_logits(feats)

        layers = self._layers
        fast = _is_resnet_stages(ref, layers)
        cached = []
        for x, _ in batches:
            with capture_outputs(ref, layers) as fmaps:
                outs = ref(x)
            cached.append((x, dict(fmaps), outs))
        feats = torch.cat([pooled(outs) for _, _, outs in cached])
        labels = torch.cat([y for _, y in batches])
        classifier = _fit_linear(feats, labels, model.head.num_classes)
        modules = dict(ref.named_modules())

        increases = []
        for i, name in enumerate(layers):
            channels = getattr(self, f'attention_{i}').numel()
            inc = torch.zeros(channels, device=feats.device)
            for (x, fmaps, outs), (_, y) in zip(cached, batches):
                base = F.cross_entropy(classifier(pooled(outs)), y)
                for c in range(channels):
                    if fast:  # run only the stages after this one
                        fm = fmaps[name].clone()
                        fm[:, c] = 0
                        new_outs = _resnet_tail(ref, name, fm, fmaps)
                    else:
                        with _zeroed(modules[name], c):
                            new_outs = ref(x)
                    loss = F.cross_entropy(classifier(pooled(new_outs)), y)
                    inc[c] += (loss - base) / len(batches)
            increases.append(inc)
        for i, inc in enumerate(increases):
            all_reduce(inc, op='mean')
            std = inc.std()
            z = (inc - inc.mean()) / (std if std > 0 else 1.0)
            getattr(self, f'attention_{i}').copy_(F.softmax(z / 5, dim=0))
        self.attention_ready.fill_(True)


def _out_channels(module: nn.Module) -> int:
    """Output channels of a ResNet stage (its last block's) or a conv."""
    last = module[-1] if isinstance(module, nn.Sequential) else module
    for attr in ('out_channels', 'num_features'):
        if hasattr(last, attr):
            return int(getattr(last, attr))
    raise ValueError(f'cannot tell the output channels of '
                     f'{type(module).__name__}: DELTARegularizer needs '
                     f'ResNet stages or conv layers')


@contextmanager
def _zeroed(module: nn.Module, c: int):
    """Zero channel ``c`` of ``module``'s output while the block runs."""

    def hook(mod, args, output):
        output = output.clone()
        output[:, c] = 0
        return output

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def _is_resnet_stages(backbone: nn.Module, layers: Sequence[str]) -> bool:
    """mmpretrain's ResNet family: stem, then ``res_layers`` in order, the
    outputs of ``out_indices`` returned."""
    names = getattr(backbone, 'res_layers', None)
    return (names is not None and hasattr(backbone, 'out_indices')
            and set(layers) <= set(names) and set(names) <= set(layers))


def _resnet_tail(backbone, name: str, fmap: torch.Tensor,
                 fmaps: Dict[str, torch.Tensor]) -> tuple:
    """The backbone's outputs when stage ``name`` outputs ``fmap``: the
    earlier stages' outputs from ``fmaps``, the later ones recomputed."""
    start = backbone.res_layers.index(name)
    outs, x = [], None
    for i, layer in enumerate(backbone.res_layers):
        if i < start:
            out = fmaps[layer]
        elif i == start:
            out = x = fmap
        else:
            out = x = getattr(backbone, layer)(x)
        if i in backbone.out_indices:
            outs.append(out)
    return tuple(outs)


def _fit_linear(feats: torch.Tensor, labels: torch.Tensor,
                num_classes: int) -> nn.Linear:
    """A linear classifier fitted by L-BFGS on fixed features (the
    classifier DELTA's attention is measured with)."""
    classifier = nn.Linear(feats.size(1), num_classes).to(feats.device)
    nn.init.zeros_(classifier.weight)
    nn.init.zeros_(classifier.bias)
    optimizer = torch.optim.LBFGS(
        classifier.parameters(), max_iter=100, line_search_fn='strong_wolfe')

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(classifier(feats), labels) + 1e-4 * (
            classifier.weight.pow(2).sum())
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return classifier.requires_grad_(False)
