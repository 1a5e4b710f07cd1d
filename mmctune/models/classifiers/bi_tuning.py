from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmctune.registry import MODELS
from ..utils.frozen import copy_weights, frozen_copy, momentum_update
from ..utils.loss_names import name_ce_term
from .utils import preprocessor_cfg


@MODELS.register_module()
class BiTuningClassifier(ImageClassifier):
    r"""Bi-tuning (Zhong et al., "Bi-tuning of Pre-trained Representations",
    2020): the classifier's cross-entropy plus two contrastive terms against
    class-wise queues of keys from a momentum encoder, on two views of each
    image (``inputs`` is ``[query_view, key_view]``: use mmpretrain's
    ``MultiView(num_views=2)`` and ``SelfSupDataPreprocessor``).

    With the query's pooled feature :math:`h`, its projection
    :math:`z = \mathrm{normalize}(G(h))`, :math:`\hat h =
    \mathrm{normalize}([h, 1])`, keys :math:`(\hat h', z')` of the key view
    from the momentum encoder, and the queues :math:`Q^z_c, Q^h_c` holding
    the last ``K`` keys of class :math:`c`, for a sample of class :math:`y`:

    - projector contrast (``loss_con_z``): the logits
      :math:`[z \cdot z',\ z \cdot Q^z_y,\ z \cdot Q^z_{c \ne y}] / T`,
      the target uniform over the first :math:`1 + K` (the current key and
      the same-class queue);
    - classifier contrast (``loss_con_y``): with the normalised class weight
      :math:`\hat w_y = \mathrm{normalize}([w_y, b_y])`, the logits
      :math:`[\hat h \cdot \hat w_y,\ Q^h_y \hat w_y,\
      Q^h_{c \ne y} \hat w_y] / T`, same target.

    Each is :math:`-\sum_j t_j \log \mathrm{softmax}_j` averaged over the
    batch (tllib's ``KLDivLoss(reduction='batchmean')`` less the target's
    constant entropy), times ``loss_weight``. As in tllib's ``BiTuning``
    the class weights enter the classifier contrast detached, the key
    encoder (backbone, neck, projector; weights kept as buffers, off the
    optimizer) follows the query one with momentum ``m``, in the model's
    train/eval mode, with its own BN statistics, and the queues start as
    random unit vectors. Unlike tllib, the
    logits of a batch use the queues as they were before the batch (tllib
    enqueues sample by sample inside its loop), and with several processes
    the keys of all ranks are enqueued, so the queues stay identical.

    Args:
        projector (dict, optional): :math:`G`. Defaults to a linear layer to
            128 dimensions (tllib's ``projection_dim``).
        queue_size (int): ``K`` keys per class. Defaults to 40.
        momentum (float): ``m``. Defaults to 0.999.
        temperature (float): ``T``. Defaults to 0.07.
        loss_weight (float): tllib's ``trade_off``. Defaults to 1.0.
        data_preprocessor (dict, optional): Defaults to mmpretrain's
            ``SelfSupDataPreprocessor`` (it takes the list of views).
        train_cfg (dict, optional): Batch augments are not supported.
        **kwargs: ``backbone``, ``neck``, ``head``... of ``ImageClassifier``
            (the head needs an ``fc`` layer, e.g. ``LinearClsHead``).
    """
    num_views = 2  # training inputs per image

    #: tuple[str]: not used to predict: may be missing from a checkpoint
    #: that is only tested (mmctune.apis.load_model_checkpoint)
    TRAIN_ONLY = ('projector', 'key_backbone', 'key_neck', 'key_projector',
                  'queue_h', 'queue_z', 'queue_ptr')

    def __init__(self,
                 *args,
                 projector: Optional[dict] = None,
                 queue_size: int = 40,
                 momentum: float = 0.999,
                 temperature: float = 0.07,
                 loss_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 **kwargs):
        if train_cfg and train_cfg.get('augments'):
            raise ValueError('BiTuningClassifier does not take batch '
                             'augments (train_cfg.augments)')
        # two views: a pre-processor that takes a list of batches
        data_preprocessor = preprocessor_cfg(
            data_preprocessor, 'mmpretrain.SelfSupDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(*args, data_preprocessor=data_preprocessor, **kwargs)
        if not hasattr(self.head, 'fc'):
            raise TypeError('BiTuningClassifier needs a head with a linear '
                            '`fc` layer (e.g. LinearClsHead)')
        fc = self.head.fc
        projector = projector or dict(
            type='MLPProjector',
            in_channels=fc.in_features,
            out_channels=128,
            num_layers=1)
        self.projector = MODELS.build(projector)
        self.queue_size = queue_size
        self.momentum = momentum
        self.temperature = temperature
        self.loss_weight = loss_weight

        # frozen copies (weights as buffers), but they follow the model's
        # train/eval mode: BN of the keys uses batch statistics in training
        self.key_backbone = frozen_copy(self.backbone)
        self.key_neck = frozen_copy(self.neck) if self.with_neck else None
        self.key_projector = frozen_copy(self.projector)
        self.train(self.training)

        num_classes = fc.out_features
        proj_dim = self._projector_dim()
        self.register_buffer(
            'queue_h',
            F.normalize(
                torch.randn(num_classes, queue_size, fc.in_features + 1),
                dim=2))
        self.register_buffer(
            'queue_z',
            F.normalize(torch.randn(num_classes, queue_size, proj_dim), dim=2))
        self.register_buffer('queue_ptr',
                             torch.zeros(num_classes, dtype=torch.long))

    def _projector_dim(self) -> int:
        linears = [
            m for m in self.projector.modules() if isinstance(m, nn.Linear)
        ]
        return linears[-1].out_features

    def init_weights(self):
        super().init_weights()
        self._key_pairs_apply(copy_weights)

    def _key_pairs_apply(self, fn, *args):
        fn(self.backbone, self.key_backbone, *args)
        if self.with_neck:
            fn(self.neck, self.key_neck, *args)
        fn(self.projector, self.key_projector, *args)

    @torch.no_grad()
    def _keys(self, inputs: torch.Tensor):
        self._key_pairs_apply(momentum_update, self.momentum)
        feats = self.key_backbone(inputs)
        if self.with_neck:
            feats = self.key_neck(feats)
        h = self.head.pre_logits(feats)
        z = F.normalize(self.key_projector(h), dim=1)
        return _with_one(h), z

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> dict:
        if isinstance(inputs, torch.Tensor) or len(inputs) != 2:
            raise ValueError(
                'BiTuningClassifier trains on two views per image: use '
                "dict(type='mmpretrain.MultiView', num_views=2, ...) in the "
                "train pipeline and type='mmpretrain.SelfSupDataPreprocessor'")
        x_q, x_k = inputs
        feats = self.extract_feat(x_q)
        losses = name_ce_term(self.head.loss(feats, data_samples))
        h = self.head.pre_logits(feats)
        z = F.normalize(self.projector(h), dim=1)
        h_hat = _with_one(h)
        h_key, z_key = self._keys(x_k)
        labels = torch.cat([s.gt_label for s in data_samples]).to(h.device)

        # projector contrast: (n, 1 + C*K) logits, own class first
        queue_z = self.queue_z.clone()
        cur = (z * z_key).sum(dim=1, keepdim=True)
        by_class = torch.einsum('nd,ckd->nck', z, queue_z)
        logits_z = torch.cat([cur, _own_class_first(by_class, labels)], 1)

        # classifier contrast: each sample scored by its class's weight
        fc = self.head.fc
        w = F.normalize(
            torch.cat([fc.weight, fc.bias[:, None]], dim=1).detach(), dim=1)
        w_y = w[labels]  # (n, F+1)
        cur = (h_hat * w_y).sum(dim=1, keepdim=True)
        by_class = torch.einsum('ckf,nf->nck', self.queue_h.clone(), w_y)
        logits_y = torch.cat([cur, _own_class_first(by_class, labels)], 1)

        k = self.queue_size
        for name, logits in (('loss_con_z', logits_z), ('loss_con_y',
                                                        logits_y)):
            log_p = F.log_softmax(logits / self.temperature, dim=1)
            # target uniform over the current key and the own-class queue
            target_log_p = log_p[:, :k + 1].mean(dim=1)
            losses[name] = -self.loss_weight * target_log_p.mean()

        self._enqueue(h_key, z_key, labels)
        return losses

    @torch.no_grad()
    def _enqueue(self, h: torch.Tensor, z: torch.Tensor,
                 labels: torch.Tensor) -> None:
        """Put each key in the queue of its class, oldest out first; the
        keys of every rank in rank order."""
        if get_world_size() > 1:
            h, z, labels = (torch.cat(all_gather(t)) for t in (h, z, labels))
        k = self.queue_size
        for c in labels.unique().tolist():
            idx = (labels == c).nonzero().flatten()[-k:]  # at most K fit
            ptr = int(self.queue_ptr[c])
            slots = (ptr + torch.arange(len(idx), device=h.device)) % k
            # keys computed under autocast (bf16/fp16) into fp32 queues
            self.queue_h[c, slots] = h[idx].to(self.queue_h.dtype)
            self.queue_z[c, slots] = z[idx].to(self.queue_z.dtype)
            self.queue_ptr[c] = (ptr + len(idx)) % k


def _with_one(h: torch.Tensor) -> torch.Tensor:
    """``normalize([h, 1])``: the feature with a constant for the bias."""
    return F.normalize(torch.cat([h, torch.ones_like(h[:, :1])], 1), dim=1)


def _own_class_first(by_class: torch.Tensor,
                     labels: torch.Tensor) -> torch.Tensor:
    """(n, C, K) scores -> (n, C*K) with row i's class-``labels[i]`` block
    first, then the other classes in order."""
    n, c, k = by_class.shape
    own = by_class[torch.arange(n), labels]  # (n, K)
    others = ~F.one_hot(labels, c).bool()  # (n, C)
    rest = by_class[others].reshape(n, (c - 1) * k)
    return torch.cat([own, rest], dim=1)
