import difflib
import inspect
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.structures import DataSample

from mmctune.registry import MODELS
from ..utils.dist import gather_with_grad
from ..utils.labels import labels_of, soft_labels
from ..utils.loss_names import name_ce_term


def unknown_arguments(cls: type, kwargs: dict) -> None:
    """A clear error, with a did-you-mean, for keyword arguments that no
    ``__init__`` along ``cls``'s bases takes (a typo such as
    ``con_wieght``), instead of an upstream base class's bare
    ``unexpected keyword argument``."""
    known = set()
    for base in cls.__mro__:
        init = base.__dict__.get('__init__')
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        known |= {
            p.name
            for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        } - {'self'}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break  # nothing is passed further up
    for name in kwargs:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=2)
            hint = f'; did you mean {" or ".join(close)}?' if close else ''
            raise TypeError(f'{cls.__name__} got an unexpected argument '
                            f'`{name}`{hint}')


def soft_cross_entropy(logits: torch.Tensor,
                       target: torch.Tensor) -> torch.Tensor:
    """Mean over samples of ``-sum_k target_k log softmax(logits)_k``."""
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def project_and_contrast(projector: nn.Module, con_loss: nn.Module,
                         z: torch.Tensor, y: torch.Tensor,
                         pos: Optional[torch.Tensor],
                         neg: Optional[torch.Tensor]) -> torch.Tensor:
    """``con_loss(v, y, v_pos, v_neg)`` of the L2-normalised projections of
    the original features ``z`` and of the miner's generated ``pos`` /
    ``neg`` (either may be None), projected in one batch."""
    parts = [t for t in (z, pos, neg) if t is not None]
    v = F.normalize(projector(torch.cat(parts)), dim=1)
    v = v.split([t.size(0) for t in parts])
    v_pos = v[1] if pos is not None else None
    v_neg = v[-1] if neg is not None else None
    return con_loss(v[0], y, v_pos, v_neg)


@MODELS.register_module()
class FeatureRegularizedClsHead(LinearClsHead):
    r"""A linear classifier (mmpretrain's ``LinearClsHead``) whose training
    loss adds regularisers computed on the features it classifies: a
    contrastive term on projected features, optionally with generated hard
    pairs and the smooth classifier on them (SCL, Core-tuning, COIN), and
    any losses of the features themselves (BSS, M&M). CE-tuning, SCL,
    Core-tuning, BSS, M&M and COIN are settings of this one head.

    With encoder features :math:`z` (after the neck's pooling), one-hot or
    soft labels :math:`y`, and the ``miner``'s generated pairs
    :math:`(z^+, y^+, z^-, y^-)`, the loss is

    - ``loss``: the classifier's ``loss`` on the originals;
    - ``loss_mix``: soft-label cross-entropy of the classifier on every
      generated feature (Core-tuning's smooth classifier :math:`L^m_{ce}`
      is ``loss + loss_mix``), if ``smooth_classifier`` and a ``miner``;
    - ``loss_con``: ``con_loss`` of the L2-normalised projections
      :math:`v = G_c(z)` of the originals and of the generated pairs, if
      ``con_loss``. Its weight :math:`\eta` is the loss's own
      ``loss_weight`` (``con_loss=dict(type='FocalSupConLoss',
      loss_weight=0.1)``), as mmpretrain keeps a weight in the loss config;
      the head multiplies by nothing;
    - ``loss_<name>``: each of ``feature_losses`` on :math:`z`, weighted by
      its own ``loss_weight``.

    =================  ==================================================
    setting            arguments
    =================  ==================================================
    CE-tuning          ``con_loss=None, miner=None``
    SCL                ``con_loss=SupConLoss``, ``miner=None``
    Core-tuning        ``con_loss=FocalSupConLoss``,
                       ``miner=HardnessDirectedMixup``
    BSS                ``feature_losses=[BSSLoss]``
    M&M                ``feature_losses=[TripletLoss]``
    COIN               ``con_loss=SupConLoss(temperature=0.3)``,
                       ``train_classifier=False`` until
                       :class:`~mmctune.engine.hooks.StageSwitchHook`
                       switches it
    =================  ==================================================

    Prediction is the plain classifier on the originals (mmpretrain's
    ``predict``), so metrics and ``tools/test.py`` work as for any head.

    Args:
        num_classes (int): Classes.
        in_channels (int): Channels of the encoder features.
        projector (dict, optional): The projector :math:`G_c` (needed with
            ``con_loss``). Defaults to a 2-layer ``MLPProjector`` with
            ``in_channels`` -> 2048 -> 256.
        con_loss (dict, optional): Contrastive loss, called as
            ``con_loss(v, y, v_pos, v_neg)``; its ``loss_weight`` is
            :math:`\eta`. Defaults to None.
        miner (dict, optional): Pair generator, called as ``miner(z, y)``
            and returning ``(pos, pos_y, neg, neg_y)``. Defaults to None.
        smooth_classifier (bool): Train the classifier on the generated
            features too. Defaults to True.
        feature_losses (list[dict], optional): Losses on the encoder
            features, each called as ``loss(z, y)`` and reported as
            ``loss_<name>`` with ``name`` the class name less ``Loss`` in
            lower case (``BSSLoss`` -> ``loss_bss``, M&M's ``TripletLoss``
            -> ``loss_triplet``). Defaults to None.
        train_classifier (bool): Compute ``loss`` and ``loss_mix``; False
            leaves the classifier without gradient (COIN's first stage).
            Defaults to True.
        gather_distributed (bool): Mine pairs, contrast and compute the
            feature losses over the global batch: features gathered from all
            ranks, with gradient. Defaults to False (each rank's own batch).
        **kwargs: ``loss``, ``topk``, ``init_cfg``... of ``LinearClsHead``.
    """

    #: tuple[str]: not used to predict: may be missing from a checkpoint
    #: that is only tested (mmctune.apis.load_model_checkpoint)
    TRAIN_ONLY = ('projector', )

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 projector: Optional[dict] = None,
                 con_loss: Optional[dict] = None,
                 miner: Optional[dict] = None,
                 smooth_classifier: bool = True,
                 feature_losses: Optional[List[dict]] = None,
                 train_classifier: bool = True,
                 gather_distributed: bool = False,
                 **kwargs):
        unknown_arguments(type(self), kwargs)
        super().__init__(num_classes, in_channels, **kwargs)
        self.smooth_classifier = smooth_classifier
        self.train_classifier = train_classifier
        self.gather_distributed = gather_distributed
        self.con_loss = MODELS.build(con_loss) if con_loss else None
        self.miner = MODELS.build(miner) if miner else None
        self.feature_losses = nn.ModuleDict()
        for cfg in feature_losses or []:
            loss = MODELS.build(cfg)
            name = 'loss_' + type(loss).__name__.lower().removesuffix('loss')
            if name in self.feature_losses or name in ('loss_', 'loss_con',
                                                       'loss_mix'):
                raise ValueError(f'feature loss {type(loss).__name__} gives '
                                 f'the name {name!r} twice or a reserved one')
            self.feature_losses[name] = loss
        self.projector = None
        if self.con_loss is not None:
            projector = projector or dict(
                type='MLPProjector', in_channels=in_channels)
            self.projector = MODELS.build(projector)
            first = next((m for m in self.projector.modules()
                          if isinstance(m, nn.Linear)), None)
            if first is not None and first.in_features != in_channels:
                raise ValueError(
                    f'{type(self).__name__}: the projector takes '
                    f'{first.in_features}-d features but in_channels='
                    f'{in_channels}; set the projector\'s in_channels to '
                    f'{in_channels}')

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        z = self.pre_logits(feats)
        if z.dim() != 2 or z.size(1) != self.in_channels:
            raise ValueError(
                f'{type(self).__name__}: in_channels={self.in_channels} but '
                f'the backbone (and neck) give features of shape '
                f'{tuple(z.shape)}; set in_channels (and the projector\'s) '
                f'to the backbone\'s output channels')
        losses = {}
        if self.train_classifier:
            losses = name_ce_term(
                self._get_loss(self.fc(z), data_samples, **kwargs))
        if (self.miner is None and self.con_loss is None
                and not self.feature_losses):
            if not losses:
                raise ValueError(f'{type(self).__name__}: train_classifier='
                                 'False without con_loss or feature_losses '
                                 'leaves nothing to train')
            return losses  # CE-tuning: no soft labels to make
        y = soft_labels(labels_of(data_samples, z.device), self.num_classes)

        if self.gather_distributed:
            # one collective for features and labels together
            both = gather_with_grad(torch.cat([z, y.to(z.dtype)], dim=1))
            z, y = both.split([z.size(1), y.size(1)], dim=1)
        for name, loss in self.feature_losses.items():
            losses[name] = loss(z, y)
        pos = pos_y = neg = neg_y = None
        if self.miner is not None:
            pos, pos_y, neg, neg_y = self.miner(z, y)
            if self.smooth_classifier and self.train_classifier:
                gen = [t for t in (pos, neg) if t is not None]
                gen_y = [t for t in (pos_y, neg_y) if t is not None]
                losses['loss_mix'] = soft_cross_entropy(
                    self.fc(torch.cat(gen)), torch.cat(gen_y))
        if self.con_loss is not None:
            losses['loss_con'] = project_and_contrast(self.projector,
                                                      self.con_loss, z, y, pos,
                                                      neg)
        return losses
