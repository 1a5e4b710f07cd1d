"""Co-Tuning with pseudo source classes for a contrastive checkpoint."""
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmctune.registry import MODELS
from ..utils.kmeans import spherical_kmeans
from ..utils.labels import labels_of, soft_labels
from ..utils.loss_names import name_ce_term
from .adversarial import AdversarialTrainingMixin
from .utils import preprocessor_cfg


@MODELS.register_module()
class CoTuningClassifier(AdversarialTrainingMixin, ImageClassifier):
    r"""Co-Tuning (You et al., "Co-Tuning for Transfer Learning", NeurIPS
    2020; tllib's ``tllib.regularization.co_tuning`` and
    ``examples/task_adaptation/image_classification/co_tuning.py``): keep
    the pre-trained task's classifier (the *source head*) and train it
    beside the new one, with soft labels over the source classes that come
    from the target label through a category relationship
    :math:`p(y_s \mid y_t)`:

    .. math::
        L = L_{ce}(g_t(z), y_t) + \lambda \frac1B \sum_i \left(
            -\sum_{k=1}^{K} p(y_s = k \mid y_t = y_i)
            \log \mathrm{softmax}_k\, g_s(z_i) \right)

    with :math:`z` the pooled features, :math:`g_t` the new head and
    :math:`g_s` the source head. The relationship is tllib's *direct*
    approach: the source head's mean prediction over the training images of
    each target class, computed once before training with the pre-trained
    model in eval mode on the training images with the test pipeline
    (tllib's ``determin_train_loader``),

    .. math::
        p(y_s \mid y_t = c) = \frac{1}{|D_c|} \sum_{x \in D_c}
            \mathrm{softmax}\, g_s(z^0(x)).

    Soft target labels (batch mixup) mix the rows: the soft label is
    :math:`y_i^\top R`.

    **What stands in for the source classifier.** A contrastive (CSL)
    checkpoint has no classifier over source classes. Its stand-in is a
    prototype head over :math:`K` *pseudo source classes*: spherical
    k-means of the pre-trained encoder's L2-normalised features of the
    target training images (the same pass that computes the relationship),

    .. math::
        g_s(z) = \frac{\hat z \cdot \hat c_k}{\tau}, \quad k = 1..K,

    :math:`\hat c_k` the normalised centroids, trainable, as tllib trains
    the source head, and :math:`\tau = 0.1` (the temperature of SwAV's
    prototype head, Caron et al., NeurIPS 2020, which is such a classifier
    over learned clusters). Clusters of the pre-trained features are what a
    self-supervised checkpoint knows of categories (DeepCluster and SwAV
    learn exactly such pseudo-classes; their prototypes would be the
    natural head for those checkpoints, but MoCo- or SimCLR-style ones ship
    none), and clustering the *target* images gives clusters that cover
    them, whereas the source images are not at hand. :math:`K` = 1000
    mirrors the ImageNet-1k head of tllib's Co-Tuning.

    The relationship, the centroids and ``relationship_ready`` are in the
    checkpoint: a resumed run does not recompute them. They are computed by
    :class:`~mmctune.engine.hooks.CoTuningRelationshipHook` (add it to
    ``custom_hooks``; without it training stops at the first step with that
    advice). Prediction is
    mmpretrain's: the target head only.

    Args:
        num_source_classes (int): :math:`K`. Defaults to 1000.
        temperature (float): :math:`\tau`. Defaults to 0.1.
        loss_weight (float): :math:`\lambda` (tllib's ``--trade-off``).
            Defaults to 2.3.
        kmeans_iters (int): Most Lloyd iterations. Defaults to 50.
        attack (dict, optional): An adversarial attack to train against
            (:class:`~.AdversarialTrainingMixin`). Defaults to None.
        data_preprocessor (dict, optional): Defaults to mmpretrain's
            ``ClsDataPreprocessor``.
        **kwargs: ``backbone``, ``neck``, ``head``... of ``ImageClassifier``.
    """

    #: tuple[str]: not used to predict: may be missing from a checkpoint
    #: that is only tested (mmctune.apis.load_model_checkpoint)
    TRAIN_ONLY = ('prototypes', 'relationship', 'relationship_ready')

    def __init__(self,
                 *args,
                 num_source_classes: int = 1000,
                 temperature: float = 0.1,
                 loss_weight: float = 2.3,
                 kmeans_iters: int = 50,
                 attack: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 **kwargs):
        super().__init__(
            *args,
            data_preprocessor=preprocessor_cfg(data_preprocessor),
            **kwargs)
        self.build_attack(attack)
        if num_source_classes < 2:
            raise ValueError(f'CoTuningClassifier: num_source_classes must '
                             f'be >= 2, got {num_source_classes}')
        if temperature <= 0:
            raise ValueError(f'CoTuningClassifier: temperature must be > 0, '
                             f'got {temperature}')
        num_classes = getattr(self.head, 'num_classes', None)
        in_channels = getattr(self.head, 'in_channels', None)
        if num_classes is None or in_channels is None:
            raise TypeError('CoTuningClassifier needs a head with '
                            '`num_classes` and `in_channels` (e.g. '
                            'LinearClsHead, FeatureRegularizedClsHead)')
        self.num_source_classes = num_source_classes
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.kmeans_iters = kmeans_iters
        # the source head: K prototypes (the k-means centroids once the
        # relationship is computed)
        self.prototypes = nn.Parameter(
            F.normalize(torch.randn(num_source_classes, in_channels), dim=1))
        self.register_buffer(
            'relationship',
            torch.full((num_classes, num_source_classes),
                       1.0 / num_source_classes))
        self.register_buffer('relationship_ready', torch.tensor(False))

    def pooled_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """The head's input features :math:`z` of ``inputs``."""
        return self.head.pre_logits(self.extract_feat(inputs))

    def source_logits(self, z: torch.Tensor) -> torch.Tensor:
        r""":math:`g_s(z) = \hat z \cdot \hat c_k / \tau`."""
        prototypes = F.normalize(self.prototypes, dim=1)
        return F.normalize(z, dim=1) @ prototypes.t() / self.temperature

    @torch.no_grad()
    def compute_relationship(self,
                             feats: torch.Tensor,
                             labels: torch.Tensor,
                             seed: int = 0) -> List[int]:
        """Set the prototypes to the spherical k-means centroids of
        ``feats`` (the pre-trained pooled features of the training images)
        and the relationship to the mean source prediction per target class
        (``labels``). Returns the target classes with no image (their row
        stays uniform)."""
        num_classes = self.relationship.size(0)
        if feats.size(0) < self.num_source_classes:
            raise ValueError(
                f'CoTuningClassifier: {self.num_source_classes} pseudo '
                f'source classes (num_source_classes) for '
                f'{feats.size(0)} training images; set num_source_classes '
                f'to at most the number of images')
        centroids, _ = spherical_kmeans(
            feats, self.num_source_classes, self.kmeans_iters, seed=seed)
        self.prototypes.data.copy_(centroids.to(self.prototypes))
        probs = F.softmax(self.source_logits(feats.to(self.prototypes)), 1)
        labels = labels.to(probs.device).long()
        sums = torch.zeros_like(self.relationship).index_add_(0, labels, probs)
        counts = torch.bincount(labels, minlength=num_classes)
        missing = (counts == 0).nonzero().flatten().tolist()
        rel = sums / counts.clamp(min=1)[:, None].to(sums)
        rel[counts == 0] = 1.0 / self.num_source_classes
        self.relationship.copy_(rel)
        self.relationship_ready.fill_(True)
        return missing

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        if not bool(self.relationship_ready):
            raise RuntimeError(
                'CoTuningClassifier: the category relationship has not been '
                'computed. Add dict(type="CoTuningRelationshipHook") to '
                '`custom_hooks`.')
        inputs, data_samples = self.adversarial_batch(inputs, data_samples)
        feats = self.extract_feat(inputs)
        losses = name_ce_term(self.head.loss(feats, data_samples))
        z = self.head.pre_logits(feats)
        y = soft_labels(
            labels_of(data_samples, z.device), self.relationship.size(0))
        target = y @ self.relationship
        log_p = F.log_softmax(self.source_logits(z), dim=1)
        losses['loss_cotuning'] = self.loss_weight * cotuning_loss(
            log_p, target)
        return losses


def cotuning_loss(log_probs: torch.Tensor,
                  target: torch.Tensor) -> torch.Tensor:
    r""":math:`\frac1B \sum_i -\sum_k q_{ik} \log p_{ik}`, tllib's
    ``CoTuningLoss`` (``log_probs``: :math:`\log p`, (B, K))."""
    return -(target * log_probs).sum(dim=1).mean()
