"""HCSC: Hierarchical Contrastive Selective Coding (Guo et al., CVPR 2022).

Reimplemented after the authors' code (github.com/gyfastas/HCSC,
``hcsc/hcsc.py``: ``HCSC.forward``, ``get_protos``, ``sample_neg_instance``,
``sample_neg_protos``; ``pretrain.py``: the loss assembly in ``train``); the
differences are listed in :class:`HCSC` and in docs/methods/pretraining.md.
"""
import logging
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size
from mmengine.logging import print_log
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp

from mmctune.registry import MODELS
from ..layers import SplitBatchNorm2d

#: Bernoulli draws (a name of this module, so that a test can fix them)
_bernoulli = torch.bernoulli

#: the columns of :attr:`HCSC.selection_counts` (one row per level)
SELECTION_COUNT_NAMES = ('removed', 'removed_fn', 'fn', 'kept', 'kept_tn',
                         'tn')


def instance_keep_prob(queue: torch.Tensor, centroids: torch.Tensor,
                       density: torch.Tensor,
                       query_proto: torch.Tensor) -> torch.Tensor:
    r"""Probability of keeping each queue negative for each query, at one
    level of the hierarchy (HCSC Eq. 6; ``sample_neg_instance``):

    .. math::
        p_{ij} = 1 - \operatorname{softmax}_c\!\left(
            \frac{k_j^\top c_c}{\phi_c}\right)_{c = s(i)}

    with :math:`k_j` the queue's keys, :math:`c_c` the level's (normalised)
    prototypes, :math:`\phi_c` their densities (clamped to at least 1e-3 as
    the official code) and :math:`s(i)` the query's prototype: a key likely
    to belong to the query's prototype is likely a false negative and is
    likely dropped.

    Args:
        queue (Tensor): ``(D, K)`` keys.
        centroids (Tensor): ``(C, D)`` prototypes.
        density (Tensor): ``(C, )``.
        query_proto (Tensor): ``(N, )`` prototype of each query.

    Returns:
        Tensor: ``(N, K)``.
    """
    logits = queue.t() @ centroids.t() / density.clamp(min=1e-3)
    return 1 - logits.softmax(dim=1)[:, query_proto].t()


def proto_keep_prob(centroids: torch.Tensor, upper_centroids: torch.Tensor,
                    upper_density: torch.Tensor,
                    upper_query_proto: torch.Tensor, neg_ids: torch.Tensor,
                    temperature: float) -> torch.Tensor:
    r"""Probability of keeping each negative prototype of a lower level for
    each query (HCSC Eq. 8; ``sample_neg_protos``):

    .. math::
        p_{in} = 1 - \operatorname{softmax}_u\!\left(
            \frac{c_n^\top c^{+}_u}{\phi'_u}\right)_{u = s^{+}(i)},
        \qquad \phi'_u = \tau\,\phi^{+}_u / \overline{\phi^{+}}

    with :math:`c^{+}_u` the next level's prototypes, :math:`\phi^{+}` their
    densities and :math:`s^{+}(i)` the query's prototype at the next level
    (the parent of its prototype at this level).

    Args:
        centroids (Tensor): ``(C, D)`` this level's prototypes.
        upper_centroids (Tensor): ``(U, D)`` the next level's.
        upper_density (Tensor): ``(U, )``.
        upper_query_proto (Tensor): ``(N, )``.
        neg_ids (Tensor): ``(M, )`` the negative prototypes of this level.
        temperature (float): :math:`\tau`.

    Returns:
        Tensor: ``(N, M)``.
    """
    phi = upper_density / upper_density.mean() * temperature
    logits = centroids @ upper_centroids.t() / phi
    return 1 - logits.softmax(dim=1)[neg_ids][:, upper_query_proto].t()


@MODELS.register_module()
class HCSC(BaseSelfSupervisor):
    r"""HCSC (Guo et al., CVPR 2022): MoCo v2 with hierarchical prototypes
    and selective contrast.

    The query encoder (``backbone`` + ``neck``, the MLP projector) and its
    momentum copy (the key encoder) give L2-normalised :math:`q` and
    :math:`k`; a queue holds the keys :math:`k_j` of past batches (with their
    dataset indices, the official ``queue_index``, and labels when the data
    has them). :class:`~mmctune.engine.hooks.HierarchicalKMeansHook` sets
    :attr:`cluster_result` before each epoch from its warm-up on: per level
    :math:`l` the prototype :math:`s_l(x)` of every image, the normalised
    prototypes :math:`c^l` and their densities :math:`\phi^l`. Without it
    (warm-up) the loss is MoCo v2's, ``loss_ins`` only.

    **Instance-wise selective loss** (HCSC Eq. 7). At each level each queue
    negative is kept with probability :func:`instance_keep_prob`
    (a Bernoulli mask :math:`m^l_{ij}`, probability clipped to
    :math:`\le 0.999`) and

    .. math::
        L_{ins} = \sum_l \frac1N\sum_i -\log
          \frac{e^{q_i^\top k_i/\tau}}{e^{q_i^\top k_i/\tau}
          + \sum_j e^{m^l_{ij} q_i^\top k_j/\tau}}

    The official code multiplies the negative logits by the mask, so a
    dropped negative still adds :math:`e^0 = 1` to the denominator
    (``masked_logit='zero'``, the default); ``masked_logit='remove'`` drops
    it from the denominator. The levels' losses are summed, as the official
    ``train`` does.

    **Prototypical selective loss** (HCSC Eq. 9). At level :math:`l` the
    negatives of the batch are the prototypes that are no query's prototype,
    :math:`\mathcal{N}_l`; for the lower levels each is kept per query with
    probability :func:`proto_keep_prob` (clipped to [1e-4, 0.999]), at the
    top level all are kept, and

    .. math::
        L_{proto} = \frac1L\sum_l \frac1N\sum_i -\log
          \frac{e^{q_i^\top c^l_{s_l(i)}/\phi^l_{s_l(i)}}}
               {e^{q_i^\top c^l_{s_l(i)}/\phi^l_{s_l(i)}}
               + \sum_{n\in\mathcal{N}_l} e^{m^l_{in} q_i^\top c^l_n/\phi^l_n}}

    (the same ``masked_logit`` rule). The logged ``loss`` is
    ``loss_ins + loss_proto``.

    Differences from the official code: :math:`\mathcal{N}_l` is every
    prototype but the batch's positives (the official
    ``range(im2cluster.max())`` also leaves out the highest prototype id
    and the empty ones above it); the queue wraps around instead of asserting
    that its length is a multiple of the batch; slots not yet filled have
    index -1 (official: ``arange``), which only the selection statistics
    read; the key encoder is mmengine's ``ExponentialMovingAverage`` as in
    mmpretrain's ``MoCo`` (its BN buffers follow the query encoder's). No
    multi-crop. Shuffle-BN (:meth:`key_features`) needs several processes,
    as the official 8-GPU run has, or ``SplitBatchNorm2d`` in the backbone
    on one.

    Args:
        backbone (dict): The encoder.
        neck (dict): The projector (``mmpretrain.MoCoV2Neck``: the official
            ``mlp=True``).
        queue_len (int): Queue length. Defaults to 16384 (official).
        feat_dim (int): Projector output. Defaults to 128.
        momentum (float): mmengine's EMA momentum, the weight of the query
            encoder in each update: 0.001 is the paper's m = 0.999.
        temperature (float): :math:`\tau`. Defaults to 0.2.
        instance_selection (bool): The instance-wise selection. Defaults to
            True.
        proto_selection (bool): The prototype selection. Defaults to True.
        masked_logit (str): ``'zero'`` (official) or ``'remove'``.
        data_preprocessor, init_cfg: as mmpretrain's ``MoCo``.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 queue_len: int = 16384,
                 feat_dim: int = 128,
                 momentum: float = 0.001,
                 temperature: float = 0.2,
                 instance_selection: bool = True,
                 proto_selection: bool = True,
                 masked_logit: str = 'zero',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if masked_logit not in ('zero', 'remove'):
            raise ValueError("masked_logit must be 'zero' (the official "
                             "code's) or 'remove', got "
                             f'{masked_logit!r}')
        if not 0 < momentum < 1:
            raise ValueError(
                'momentum is the weight of the query encoder in the EMA '
                '(mmengine convention): 0.001 for the paper\'s m = 0.999, '
                f'got {momentum}')
        super().__init__(
            backbone=backbone,
            neck=neck,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.encoder_k = ExponentialMovingAverage(
            nn.Sequential(self.backbone, self.neck), momentum)
        self.queue_len = queue_len
        self.temperature = temperature
        self.instance_selection = instance_selection
        self.proto_selection = proto_selection
        self.masked_logit = masked_logit
        self.register_buffer(
            'queue', F.normalize(torch.randn(feat_dim, queue_len), dim=0))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        self.register_buffer('queue_index',
                             torch.full((queue_len, ), -1, dtype=torch.long))
        self.register_buffer('queue_label',
                             torch.full((queue_len, ), -1, dtype=torch.long))
        self.cluster_result: Optional[dict] = None
        self.selection_counts: Optional[torch.Tensor] = None

    # -- state set by HierarchicalKMeansHook ------------------------------
    def set_cluster_result(self, result: Optional[dict]) -> None:
        """Set (or clear, with None) the hierarchical clustering: a dict of
        lists, one entry per level, ``im2cluster`` ``(num_images, )``,
        ``centroids`` ``(C_l, D)`` (normalised), ``density`` ``(C_l, )``,
        and ``cluster2cluster`` ``(C_l, )`` for every level but the top."""
        if result is not None:
            device = self.queue.device
            result = {
                key: [t.to(device) for t in value]
                for key, value in result.items()
            }
            levels = len(result['centroids'])
            if len(result['cluster2cluster']) != levels - 1:
                raise ValueError('cluster_result needs one cluster2cluster '
                                 'per level but the top')
        self.cluster_result = result

    def reset_selection_counts(self) -> None:
        """Zero the false-negative statistics (the hook does it each
        epoch)."""
        self.selection_counts = None

    # -- the two encoders ---------------------------------------------------
    @torch.no_grad()
    def extract_key_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """L2-normalised embeddings of the key encoder (what the official
        ``compute_features`` clusters)."""
        return F.normalize(self.encoder_k(inputs)[0], dim=1)

    @torch.no_grad()
    def key_features(self, im_k: torch.Tensor) -> torch.Tensor:
        """L2-normalised keys of the key views, in the batch's order, with
        MoCo's shuffle-BN: the key batch is shuffled across all processes
        (mmpretrain's ``batch_shuffle_ddp``) before the key encoder and put
        back in order after it, so that BN normalises each key with other
        images than its query.

        With one process the shuffle stays inside one BN batch and does
        nothing for BN, unless the backbone's BN computes its statistics per
        group (``norm_cfg=dict(type='SplitBatchNorm2d', num_splits=8)``: the
        one-GPU emulation of 8 GPUs, as MoCo's one-GPU demo)."""
        if not getattr(self, '_split_bn_checked', False):
            self._split_bn_checked = True
            splits = [
                m.num_splits for m in self.backbone.modules()
                if isinstance(m, SplitBatchNorm2d) and m.num_splits > 1
            ]
            if splits and get_world_size() > 1:
                print_log(
                    f'HCSC: SplitBatchNorm2d (num_splits={splits[0]}) '
                    f'emulates several GPUs on one, but this run has '
                    f'{get_world_size()} processes: each splits its own '
                    'share again. On several GPUs use plain BN: the '
                    'processes themselves split the batch',
                    logger='current',
                    level=logging.WARNING)
        im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
        k = F.normalize(self.encoder_k(im_k)[0], dim=1)
        return batch_unshuffle_ddp(k, idx_unshuffle)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys: torch.Tensor, index: torch.Tensor,
                             label: torch.Tensor) -> None:
        keys = torch.cat(all_gather(keys), dim=0)
        index = torch.cat(all_gather(index), dim=0)
        label = torch.cat(all_gather(label), dim=0)
        ptr = int(self.queue_ptr)
        slots = (ptr + torch.arange(keys.size(0),
                                    device=keys.device)) % self.queue_len
        # keys computed under autocast (bf16/fp16) into the fp32 queue
        self.queue[:, slots] = keys.t().to(self.queue.dtype)
        self.queue_index[slots] = index
        self.queue_label[slots] = label
        self.queue_ptr[0] = (ptr + keys.size(0)) % self.queue_len

    def _masked(self, logits: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        if self.masked_logit == 'zero':
            return logits * mask
        return logits.masked_fill(mask == 0, float('-inf'))

    # -- the losses --------------------------------------------------------
    def instance_logits(
            self,
            q: torch.Tensor,
            k: torch.Tensor,
            masks: Optional[Sequence[torch.Tensor]] = None
    ) -> List[torch.Tensor]:
        """Logits ``(N, 1 + K)`` (the positive first) of the instance-wise
        loss: one per level given the levels' masks ``(N, K)`` of kept
        negatives, else MoCo's one."""
        l_pos = (q * k).sum(dim=1, keepdim=True)
        l_neg = q @ self.queue.clone().detach()
        if masks is None:
            return [torch.cat([l_pos, l_neg], dim=1) / self.temperature]
        return [
            torch.cat([l_pos, self._masked(l_neg, m)], dim=1) /
            self.temperature for m in masks
        ]

    def proto_logits(self, q: torch.Tensor,
                     index: torch.Tensor) -> List[torch.Tensor]:
        """Logits ``(N, 1 + M_l)`` (the positive first) of the prototypical
        loss at each level, negative prototypes sampled through the
        hierarchy (Bernoulli draws from torch's global generator)."""
        res = self.cluster_result
        levels = len(res['centroids'])
        out = []
        for lvl in range(levels):
            centroids, density = res['centroids'][lvl], res['density'][lvl]
            density = density.clamp(min=1e-3)
            pos = res['im2cluster'][lvl][index]
            is_neg = torch.ones(
                centroids.size(0), dtype=torch.bool, device=q.device)
            is_neg[pos] = False
            neg = is_neg.nonzero().flatten()
            l_pos = (q * centroids[pos]).sum(dim=1, keepdim=True)
            l_neg = q @ centroids[neg].t()
            if self.proto_selection and lvl < levels - 1:
                upper_pos = res['cluster2cluster'][lvl][pos]
                prob = proto_keep_prob(centroids, res['centroids'][lvl + 1],
                                       res['density'][lvl + 1], upper_pos, neg,
                                       self.temperature)
                mask = _bernoulli(prob.clamp(1e-4, 0.999))
                l_neg = self._masked(l_neg, mask)
            out.append(
                torch.cat([l_pos / density[pos, None], l_neg / density[neg]],
                          dim=1))
        return out

    def instance_masks(self, index: torch.Tensor) -> List[torch.Tensor]:
        """Bernoulli masks ``(N, K)`` of the kept queue negatives, one per
        level."""
        res = self.cluster_result
        masks = []
        for im2cluster, centroids, density in zip(res['im2cluster'],
                                                  res['centroids'],
                                                  res['density']):
            prob = instance_keep_prob(self.queue, centroids, density,
                                      im2cluster[index])
            masks.append(_bernoulli(prob.clamp(0.0, 0.999)))
        return masks

    @torch.no_grad()
    def _count_selection(self, masks: Sequence[torch.Tensor],
                         label: torch.Tensor) -> None:
        """Accumulate, per level, the removed / kept queue negatives against
        the labels (HCSC Figure 1): a false negative has the query's label.
        Queue slots without a label (-1) are left out."""
        known = self.queue_label >= 0
        if label.lt(0).any() or not known.any():
            return
        same = (label[:, None] == self.queue_label[None]) & known[None]
        diff = (label[:, None] != self.queue_label[None]) & known[None]
        rows = []
        for m in masks:
            removed = (m == 0) & known[None]
            kept = (m != 0) & known[None]
            rows.append(
                torch.stack([
                    removed.sum(), (removed & same).sum(),
                    same.sum(),
                    kept.sum(), (kept & diff).sum(),
                    diff.sum()
                ]).double())
        counts = torch.stack(rows)
        if self.selection_counts is None:
            self.selection_counts = counts
        else:
            self.selection_counts = self.selection_counts + counts

    def selective_losses(self, q: torch.Tensor, k: torch.Tensor,
                         index: torch.Tensor,
                         label: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``loss_ins`` (and ``loss_proto`` once clustered) of the
        normalised queries and keys ``(N, D)`` of images ``index``, before
        the keys enter the queue."""
        losses = {}
        masks = None
        if self.cluster_result is not None:
            n_images = self.cluster_result['im2cluster'][0].numel()
            if int(index.max()) >= n_images or int(index.min()) < 0:
                raise ValueError(
                    f'sample_idx {int(index.max())} outside the clustered '
                    f'dataset of {n_images} images: the hook must cluster '
                    'the training set itself')
            if self.instance_selection:
                masks = self.instance_masks(index)
                self._count_selection(masks, label)
        logits = self.instance_logits(q, k, masks)
        target = torch.zeros(q.size(0), dtype=torch.long, device=q.device)
        losses['loss_ins'] = sum(F.cross_entropy(lg, target) for lg in logits)
        if self.cluster_result is not None:
            plogits = self.proto_logits(q, index)
            losses['loss_proto'] = sum(
                F.cross_entropy(lg, target) for lg in plogits) / len(plogits)
        return losses

    def loss(self, inputs: List[torch.Tensor], data_samples,
             **kwargs) -> Dict[str, torch.Tensor]:
        if not isinstance(inputs, list) or len(inputs) != 2:
            raise ValueError(
                'HCSC needs two views of each image: a pipeline with '
                'mmpretrain.MultiView(num_views=2)')
        im_q, im_k = inputs
        index = self._sample_index(data_samples, im_q.device)
        label = self._labels(data_samples, im_q.device)

        q = F.normalize(self.neck(self.backbone(im_q))[0], dim=1)
        with torch.no_grad():
            self.encoder_k.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            k = self.key_features(im_k)

        losses = self.selective_losses(q, k, index, label)
        self._dequeue_and_enqueue(k, index, label)
        return losses

    @staticmethod
    def _sample_index(data_samples, device) -> torch.Tensor:
        try:
            idx = [int(s.sample_idx) for s in data_samples]
        except (AttributeError, KeyError, TypeError):
            raise ValueError(
                "HCSC needs each image's dataset index: keep 'sample_idx' "
                'in the meta_keys of mmpretrain.PackInputs (its default) '
                'and use a dataset that sets it (mmengine BaseDataset '
                'does)') from None
        return torch.tensor(idx, dtype=torch.long, device=device)

    @staticmethod
    def _labels(data_samples, device) -> torch.Tensor:
        """The images' labels, -1 where there are none (only the selection
        statistics read them)."""
        out = []
        for s in data_samples:
            gt = s.get('gt_label', None)
            out.append(int(gt[0]) if gt is not None and gt.numel() else -1)
        return torch.tensor(out, dtype=torch.long, device=device)
