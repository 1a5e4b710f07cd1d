"""Co-Tuning with pseudo source classes for a contrastive checkpoint."""
import copy
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import broadcast, get_rank
from mmengine.hooks import Hook
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmctune.registry import HOOKS, MODELS
from ..utils.dist import gather_with_grad
from ..utils.kmeans import spherical_kmeans
from ..utils.labels import labels_of, soft_labels
from ..utils.loss_names import name_ce_term
from .utils import preprocessor_cfg


@MODELS.register_module()
class CoTuningClassifier(ImageClassifier):
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
    :class:`CoTuningRelationshipHook` (add it to ``custom_hooks``; without
    it training stops at the first step with that advice). Prediction is
    mmpretrain's: the target head only.

    Args:
        num_source_classes (int): :math:`K`. Defaults to 1000.
        temperature (float): :math:`\tau`. Defaults to 0.1.
        loss_weight (float): :math:`\lambda` (tllib's ``--trade-off``).
            Defaults to 2.3.
        kmeans_iters (int): Most Lloyd iterations. Defaults to 50.
        data_preprocessor (dict, optional): Defaults to mmpretrain's
            ``ClsDataPreprocessor``.
        **kwargs: ``backbone``, ``neck``, ``head``... of ``ImageClassifier``.
    """

    #: not used to predict: may be missing from a checkpoint that is only
    #: tested (mmctune.apis.load_model_checkpoint)
    TRAIN_ONLY = ('prototypes', 'relationship', 'relationship_ready')

    def __init__(self,
                 *args,
                 num_source_classes: int = 1000,
                 temperature: float = 0.1,
                 loss_weight: float = 2.3,
                 kmeans_iters: int = 50,
                 data_preprocessor: Optional[dict] = None,
                 **kwargs):
        super().__init__(
            *args,
            data_preprocessor=preprocessor_cfg(data_preprocessor),
            **kwargs)
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


@HOOKS.register_module()
class CoTuningRelationshipHook(Hook):
    """Compute :class:`CoTuningClassifier`'s pseudo source classes and
    category relationship before training, from the pre-trained model (eval
    mode, no gradient) on every training image. Skipped when the model has
    them already (a resumed run restores them from the checkpoint).

    The images go through ``pipeline``: ``'val'`` (default) takes the
    evaluation pipeline, the validation loader's or, in a config that has
    none (e.g. a run that only tests at the end), the test loader's, so
    each image is seen once without random augmentation (tllib's
    ``determin_train_loader``); ``None`` keeps the training pipeline; a list
    of transforms is used as given. The training
    loader's dataset, batch size and workers are kept, without shuffling.
    With several processes each reads its share, the features are gathered
    and rank 0's result is broadcast.

    (A hook: it lives beside the model it prepares so that the two change
    together; it is registered in mmctune's ``HOOKS``.)

    Args:
        pipeline (str | list | None): See above. Defaults to ``'val'``.
    """
    priority = 'LOW'

    def __init__(self, pipeline='val'):
        if not (pipeline is None or pipeline == 'val'
                or isinstance(pipeline, (list, tuple))):
            raise ValueError(
                "CoTuningRelationshipHook: pipeline must be 'val', None "
                f'(the training pipeline) or a list of transforms; got '
                f'{pipeline!r}')
        self.pipeline = pipeline

    def _loader_cfg(self, runner) -> dict:
        cfg = copy.deepcopy(runner.cfg.get('train_dataloader'))
        if not cfg:
            raise ValueError('CoTuningRelationshipHook: the config has no '
                             'train_dataloader')
        cfg = dict(cfg)
        cfg['sampler'] = dict(
            type='DefaultSampler', shuffle=False, round_up=True)
        cfg.pop('batch_sampler', None)
        if self.pipeline is None:
            return cfg
        pipeline = self.pipeline
        if pipeline == 'val':
            pipeline = None
            for name in ('val_dataloader', 'test_dataloader'):
                loader = runner.cfg.get(name) or {}
                pipeline = _find_pipeline(loader.get('dataset', {}))
                if pipeline is not None:
                    break
            if pipeline is None:
                raise ValueError(
                    "CoTuningRelationshipHook: pipeline='val' but the config "
                    'has no val_dataloader.dataset.pipeline nor '
                    'test_dataloader.dataset.pipeline; give the hook a '
                    'pipeline (a list of transforms), or pipeline=None for '
                    'the training one')
        dataset = cfg['dataset'] = copy.deepcopy(cfg['dataset'])
        holder = dataset
        while 'pipeline' not in holder and isinstance(
                holder.get('dataset'), dict):
            holder = holder['dataset']
        if 'pipeline' not in holder:
            raise ValueError(
                'CoTuningRelationshipHook: cannot find the pipeline of '
                'train_dataloader.dataset; give the hook pipeline=None to '
                'use the training loader as it is')
        holder['pipeline'] = list(pipeline)
        return cfg

    def before_train(self, runner) -> None:
        from mmctune.utils import unwrap_model
        model = unwrap_model(runner.model)
        if not isinstance(model, CoTuningClassifier):
            raise TypeError(
                'CoTuningRelationshipHook prepares a CoTuningClassifier; the '
                f'model is a {type(model).__name__}')
        if bool(model.relationship_ready):
            runner.logger.info('Co-Tuning: relationship restored from the '
                               'checkpoint')
            return
        loader = runner.build_dataloader(
            self._loader_cfg(runner), seed=runner.seed)
        was_training = model.training
        model.eval()
        feats, labels = [], []
        with torch.no_grad():
            for data in loader:
                data = model.data_preprocessor(data, training=False)
                feats.append(model.pooled_features(data['inputs']))
                labels.append(
                    labels_of(data['data_samples'], feats[-1].device))
        model.train(was_training)
        feats, labels = torch.cat(feats), torch.cat(labels)
        if labels.dim() != 1:
            raise ValueError('CoTuningRelationshipHook needs class labels '
                             '(gt_label) in the training loader')
        feats = gather_with_grad(feats)
        labels = gather_with_grad(labels)
        runner.logger.info(
            f'Co-Tuning: {model.num_source_classes} pseudo source classes '
            f'(spherical k-means) and the relationship from '
            f'{feats.size(0)} training images')
        missing = model.compute_relationship(
            feats, labels, seed=runner.seed or 0)
        for name in ('prototypes', 'relationship', 'relationship_ready'):
            broadcast(getattr(model, name).data, src=0)
        if missing and get_rank() == 0:
            runner.logger.warning(
                f'Co-Tuning: target classes {missing} have no training '
                'image; their relationship rows are uniform')


def _find_pipeline(dataset: dict):
    while isinstance(dataset, dict):
        if 'pipeline' in dataset:
            return dataset['pipeline']
        dataset = dataset.get('dataset')
    return None
