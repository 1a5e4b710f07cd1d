"""Co-Tuning's category relationship, computed before training."""
import inspect
from typing import List

import torch
from mmengine.dist import broadcast, get_rank

from mmctune.datasets import train_eval_loader_cfg
from mmctune.models.classifiers import CoTuningClassifier
from mmctune.models.utils import gather_with_grad, labels_of
from mmctune.registry import HOOKS
from .prepare_hook import PrepareOnceHook


@HOOKS.register_module()
class CoTuningRelationshipHook(PrepareOnceHook):
    """Compute :class:`~mmctune.models.classifiers.CoTuningClassifier`'s
    pseudo source classes and category relationship before training, from
    the pre-trained model (eval mode, no gradient) on every training image
    (:meth:`CoTuningClassifier.compute_relationship
    <mmctune.models.classifiers.CoTuningClassifier.compute_relationship>`).
    A :class:`PrepareOnceHook`: skipped when the model has them already
    (``relationship_ready``; a resumed run restores them from the
    checkpoint).

    The images are the training set read by
    :func:`~mmctune.datasets.train_eval_loader_cfg` with ``pipeline``:
    ``'val'`` (default) the evaluation pipeline, the validation loader's or,
    in a config that has none (e.g. a run that only tests at the end), the
    test loader's, so each image is seen once without random augmentation
    (tllib's ``determin_train_loader``); ``None`` keeps the training
    pipeline; a list of transforms is used as given. The training loader's
    batch size and workers are kept. With several processes each reads its
    share, the features are gathered and rank 0's result is broadcast.

    Args:
        pipeline (str | list | None): See above. Defaults to ``'val'``.
    """

    def __init__(self, pipeline='val'):
        if not (pipeline is None or pipeline == 'val'
                or isinstance(pipeline, (list, tuple))):
            raise ValueError(
                "CoTuningRelationshipHook: pipeline must be 'val', None "
                f'(the training pipeline) or a list of transforms; got '
                f'{pipeline!r}')
        self.pipeline = pipeline

    @classmethod
    def fit_to_images(cls, hook_cfg: dict, cfg, images: int) -> List[str]:
        """At most ``images`` pseudo source classes (the k-means clusters
        the training images)."""
        model = cfg.get('model') or {}
        default = inspect.signature(
            CoTuningClassifier).parameters['num_source_classes'].default
        if model.get('num_source_classes', default) <= images:
            return []
        model['num_source_classes'] = images
        return [f'{images} pseudo source classes']

    @staticmethod
    def _co_tuning(model) -> CoTuningClassifier:
        if not isinstance(model, CoTuningClassifier):
            raise TypeError(
                'CoTuningRelationshipHook prepares a CoTuningClassifier; the '
                f'model is a {type(model).__name__}')
        return model

    def mark_prepared(self, model, num_images=None) -> None:
        """The relationship marked computed (uniform rows, the prototypes
        as built)."""
        self._co_tuning(model).relationship_ready.fill_(True)

    def is_prepared(self, runner) -> bool:
        return bool(self._co_tuning(self.model_of(runner)).relationship_ready)

    def loader_cfg(self, cfg) -> dict:
        """The relationship's loader: the training set with the hook's
        pipeline, each image once, in order."""
        return train_eval_loader_cfg(cfg, pipeline=self.pipeline)

    def prepare(self, runner) -> None:
        model = self._co_tuning(self.model_of(runner))
        loader = runner.build_dataloader(
            self.loader_cfg(runner.cfg), seed=runner.seed)
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
