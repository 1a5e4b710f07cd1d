"""DR-Tune: the classifier trained also on features of the frozen
pre-trained encoder, calibrated to the downstream features.

Zhou et al., "DR-Tune: Improving Fine-tuning of Pretrained Visual Models by
Distribution Regularization with Semantic Calibration", ICCV 2023 (official
code: weeknan/DR-Tune, ``model.py``, whose ``base_model`` this reproduces).
The paper is not among this repository's papers: the definitions and
defaults below are those of the official code.
"""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, all_reduce, get_world_size
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmctune.registry import MODELS
from ..utils.frozen import copy_weights, frozen_copy
from ..utils.labels import labels_of
from ..utils.loss_names import name_ce_term
from .utils import preprocessor_cfg


def rotation_align(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``x`` (N, D) moved by the rotation and translation that best map it
    onto ``y`` (N, D), row ``i`` onto row ``i`` (Kabsch):
    :math:`S = \\bar X^\\top \\bar Y` of the centred sets,
    :math:`S = U \\Sigma V^\\top`, :math:`R = V\\, \\mathrm{diag}(1, \\dots,
    1, \\det(V U^\\top))\\, U^\\top`, and
    :math:`x \\mapsto R (x - \\bar x) + \\bar y`."""
    x_mean, y_mean = x.mean(0, keepdim=True), y.mean(0, keepdim=True)
    xc, yc = x - x_mean, y - y_mean
    u, _, vh = torch.linalg.svd(xc.T @ yc)
    v = vh.T.clone()
    v[:, -1] = v[:, -1] * torch.det(v @ u.T)
    rot = v @ u.T
    return xc @ rot.T + y_mean


def semantic_calibration(pre: torch.Tensor, down: torch.Tensor,
                         labels: torch.Tensor, prototypes: torch.Tensor,
                         scale: torch.Tensor, rotate: bool) -> torch.Tensor:
    """DR-Tune's semantic calibration of the queued pre-trained features
    ``pre`` (K, D) towards the queued downstream ones ``down`` (K, D) of
    the same images (``labels`` (K, )), with the classifier's weights
    ``prototypes`` (C, D):

    1. both normalised; with ``rotate``, ``pre`` rotated onto ``down``
       (:func:`rotation_align`, dataset level);
    2. each class :math:`c` translated (class level):
       :math:`p_i \\mathrel{+}= \\sum_{j \\in c} a_j d_j - \\frac{1}{|c|}
       \\sum_{j \\in c} p_j` with
       :math:`a = \\mathrm{softmax}_{j \\in c}(d_j \\cdot w_c / \\lVert w_c
       \\rVert)`, the downstream class centre weighted by confidence;
    3. normalised and scaled to ``scale`` (the mean norm of the batch's
       downstream features).
    """
    pre, down = F.normalize(pre, dim=1), F.normalize(down, dim=1)
    if rotate:
        pre = rotation_align(pre, down)
    num = prototypes.shape[0]
    count = torch.zeros(num, dtype=pre.dtype, device=pre.device)
    count.index_add_(0, labels, torch.ones_like(labels, dtype=pre.dtype))
    pre_centre = torch.zeros_like(prototypes).index_add_(0, labels, pre)
    pre_centre = pre_centre / count.clamp(min=1)[:, None]
    score = (down * F.normalize(prototypes, dim=1)[labels]).sum(1)
    top = torch.full((num, ),
                     float('-inf'),
                     dtype=pre.dtype,
                     device=pre.device).scatter_reduce(0, labels, score,
                                                       'amax')
    weight = (score - top[labels]).exp()
    total = torch.zeros(
        num, dtype=pre.dtype, device=pre.device).index_add_(0, labels, weight)
    weight = weight / total[labels]
    down_centre = torch.zeros_like(prototypes).index_add_(
        0, labels, weight[:, None] * down)
    pre = pre + (down_centre - pre_centre)[labels]
    return F.normalize(pre, dim=1) * scale


@MODELS.register_module()
class DRTuneClassifier(ImageClassifier):
    """DR-Tune: the head trained on the batch's features and on ``K``
    queued features of the frozen pre-trained encoder, calibrated to the
    downstream features (:func:`semantic_calibration`).

    Every training step: the batch's pooled features :math:`h` (the
    fine-tuned backbone and neck) and :math:`h^0` (their frozen pre-trained
    copies, in eval mode); the queues of the last ``K`` features
    :math:`Q^0` (pre-trained), :math:`Q` (downstream) and their labels,
    calibrated (rotated every ``rotate_interval`` steps, translated per
    class, scaled to the batch's mean norm :math:`\\lVert h \\rVert`); the
    head's loss on the batch and the cross-entropy of the head's ``fc`` on
    the calibrated queue (``loss_dr``). With ``joint_mean`` (the official
    code's single cross-entropy over the ``B + K`` rows) the head's terms
    are weighted :math:`B / (B + K)` and ``loss_dr`` :math:`K / (B + K)`;
    without it, ``loss_dr`` (the mean over the queue) is added with
    ``loss_weight`` to the head's losses as they are (e.g. Core-tuning's).
    The batch's :math:`h` and :math:`h^0` then enter the queues (with
    several processes, every rank's, in rank order: the queues stay
    identical). With several processes :math:`B` is the global batch and the
    calibration scales to its mean norm, so that a step, its gradients
    averaged over the ranks, is the one-process step. Gradients reach the
    backbone through the batch only; the calibrated queue trains the head.

    The queues start from ``DRTuneQueueHook`` (before training, the
    pre-trained features of the first batches as both queues); they and the
    step counter are buffers, so a checkpoint resumes them. ``predict`` is
    mmpretrain's: the fine-tuned backbone and the head.

    Args:
        queue_size (int): ``K``. Default 2048 (the official CIFAR-10
            config's).
        rotate_interval (int): rotate every this many steps of the run.
            Default 10 (the official code: every 10th iteration of an
            epoch).
        joint_mean (bool): one mean over batch and queue, as the official
            code. Default True.
        loss_weight (float): ``loss_dr``'s weight. Default 1.0.
        **kwargs: ``backbone``, ``neck``, ``head``... of ``ImageClassifier``
            (the head needs a linear ``fc``: ``LinearClsHead`` or
            Core-tuning's ``FeatureRegularizedClsHead``).
    """

    #: tuple[str]: not used to predict: may be missing from a checkpoint
    #: that is only tested (mmctune.apis.load_model_checkpoint)
    TRAIN_ONLY = ('reference', 'reference_neck', 'pre_queue', 'down_queue',
                  'label_queue', 'queue_ptr', 'queue_ready', 'steps')

    def __init__(self,
                 *args,
                 queue_size: int = 2048,
                 rotate_interval: int = 10,
                 joint_mean: bool = True,
                 loss_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 **kwargs):
        if train_cfg and train_cfg.get('augments'):
            raise ValueError('DRTuneClassifier does not take batch augments '
                             '(train_cfg.augments): its queue holds one '
                             'label per image')
        super().__init__(
            *args,
            data_preprocessor=preprocessor_cfg(data_preprocessor),
            train_cfg=train_cfg,
            **kwargs)
        if not hasattr(self.head, 'fc'):
            raise TypeError('DRTuneClassifier needs a head with a linear '
                            '`fc` layer (e.g. LinearClsHead)')
        if queue_size < 1 or rotate_interval < 1:
            raise ValueError('DRTuneClassifier: queue_size and '
                             'rotate_interval must be >= 1, got '
                             f'{queue_size} and {rotate_interval}')
        self.queue_size = queue_size
        self.rotate_interval = rotate_interval
        self.joint_mean = joint_mean
        self.loss_weight = loss_weight
        self.reference = frozen_copy(self.backbone)
        self.reference_neck = frozen_copy(
            self.neck) if self.with_neck else None
        dim = self.head.fc.in_features
        self.register_buffer('pre_queue', torch.zeros(queue_size, dim))
        self.register_buffer('down_queue', torch.zeros(queue_size, dim))
        self.register_buffer('label_queue',
                             torch.zeros(queue_size, dtype=torch.long))
        self.register_buffer('queue_ptr', torch.zeros((), dtype=torch.long))
        self.register_buffer('queue_ready', torch.tensor(False))
        self.register_buffer('steps', torch.zeros((), dtype=torch.long))

    def init_weights(self):
        super().init_weights()
        copy_weights(self.backbone, self.reference)
        if self.with_neck:
            copy_weights(self.neck, self.reference_neck)

    def train(self, mode: bool = True):
        super().train(mode)
        self.reference.eval()
        if self.reference_neck is not None:
            self.reference_neck.eval()
        return self

    @torch.no_grad()
    def pretrained_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """The frozen pre-trained encoder's pooled features (N, D)."""
        feats = self.reference(inputs)
        if self.reference_neck is not None:
            feats = self.reference_neck(feats)
        return self.head.pre_logits(feats)

    @torch.no_grad()
    def enqueue(self, down: torch.Tensor, pre: torch.Tensor,
                labels: torch.Tensor) -> None:
        """Put the batch's features in the queues, oldest out first (every
        rank's, in rank order)."""
        if get_world_size() > 1:
            down, pre, labels = (
                torch.cat(all_gather(t.contiguous()))
                for t in (down, pre, labels))
        k = self.queue_size
        down, pre, labels = down[-k:], pre[-k:], labels[-k:]
        ptr = int(self.queue_ptr)
        slots = (ptr + torch.arange(len(labels), device=labels.device)) % k
        self.down_queue[slots] = down.to(self.down_queue.dtype)
        self.pre_queue[slots] = pre.to(self.pre_queue.dtype)
        self.label_queue[slots] = labels
        self.queue_ptr.fill_((ptr + len(labels)) % k)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        if not bool(self.queue_ready):
            raise RuntimeError(
                'DRTuneClassifier: the queues are not filled: add '
                "dict(type='DRTuneQueueHook') to custom_hooks (the DR-Tune "
                'configs have it)')
        feats = self.extract_feat(inputs)
        down = self.head.pre_logits(feats)
        pre = self.pretrained_features(inputs)
        labels = labels_of(data_samples, down.device)
        world_size = get_world_size()
        with torch.no_grad():
            # the global batch's mean norm (the ranks' batches are equal)
            scale = down.detach().norm(dim=1).mean()
            if world_size > 1:
                all_reduce(scale, op='mean')
            calibrated = semantic_calibration(
                self.pre_queue, self.down_queue, self.label_queue,
                self.head.fc.weight.detach(), scale,
                int(self.steps) % self.rotate_interval == 0)
        losses = name_ce_term(self.head.loss(feats, data_samples))
        # the queue's labels as they were: the batch then enters in place
        loss_dr = F.cross_entropy(
            self.head.fc(calibrated), self.label_queue.clone())
        if self.joint_mean:
            # the global batch against the queue: with the gradients
            # averaged over the ranks, a step is the one-process step
            n, k = down.shape[0] * world_size, self.queue_size
            losses = {
                name: value * (n / (n + k)) if 'loss' in name else value
                for name, value in losses.items()
            }
            loss_dr = loss_dr * (k / (n + k))
        losses['loss_dr'] = self.loss_weight * loss_dr
        self.enqueue(down.detach(), pre, labels)
        self.steps += 1
        return losses
