from typing import List, Optional, Sequence, Tuple

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmctune.registry import MODELS
from ..utils.labels import labels_of
from .utils import preprocessor_cfg


class AdversarialTrainingMixin:
    """Adversarial training (the Core-tuning paper's §5.4) for any mmctune
    classifier: with an ``attack`` (e.g. PGD-10), each training step
    attacks the batch and trains on the clean and the adversarial images
    together, as one batch of ``2N`` samples (the labels repeated) through
    the classifier's whole loss: the head's (with
    ``FeatureRegularizedClsHead`` the adversarial samples take part in the
    contrastive loss and the pair mining as any other sample of their
    class), the regularisers' of
    :class:`~mmctune.models.classifiers.RegularizedClassifier` (DELTA
    compares the feature maps of all ``2N`` images), Co-Tuning's source
    head's.

    A classifier takes it with one config argument,
    ``attack=dict(type='PGDAttack', ...)``:
    :class:`~mmctune.models.classifiers.RegularizedClassifier`,
    :class:`~mmctune.models.classifiers.CoTuningClassifier`, and
    :class:`AdversarialClassifier` (mmpretrain's ``ImageClassifier`` with
    it: CE-tuning, SCL, Core-tuning). A classifier's ``loss`` begins with
    ``inputs, data_samples = self.adversarial_batch(inputs, data_samples)``.

    BatchNorm in training mode normalises the joint batch with its
    statistics. How BN behaves while the attack runs is the attack's
    ``bn_mode`` (``'eval'`` by default: running statistics; see
    :class:`~mmctune.models.utils.PGDAttack`). ``predict`` is untouched:
    robust accuracy is measured by
    :class:`~mmctune.engine.runner.RobustValLoop` /
    :class:`~mmctune.engine.runner.RobustTestLoop`.
    """
    attack = None

    def build_attack(self, attack: Optional[dict]) -> None:
        """Set ``self.attack`` from its config (None: no adversarial
        training)."""
        self.attack = MODELS.build(attack) if attack else None

    def adversarial_batch(
        self, inputs: torch.Tensor, data_samples: Sequence[DataSample]
    ) -> Tuple[torch.Tensor, List[DataSample]]:
        """``(inputs, data_samples)`` of a training step: unchanged without
        an attack, else the clean images followed by their adversarial
        images (``2N``), and the samples twice (the heads and regularisers
        only read their labels)."""
        if self.attack is None:
            return inputs, data_samples
        if not isinstance(inputs, torch.Tensor):
            raise TypeError(
                f'{type(self).__name__}: the attack perturbs a batch of '
                'images (a tensor), not several views of them')
        adv = self.attack(self, inputs, labels_of(data_samples, inputs.device))
        return torch.cat([inputs, adv]), list(data_samples) * 2


@MODELS.register_module()
class AdversarialClassifier(AdversarialTrainingMixin, ImageClassifier):
    """mmpretrain's ``ImageClassifier`` trained adversarially: AT-CE,
    AT-CE-Con and AT-Core (the Core-tuning paper's §5.4) with the CE-tuning,
    SCL and Core-tuning heads. See :class:`AdversarialTrainingMixin`; the
    other mmctune classifiers take the same ``attack`` argument.

    Args:
        attack (dict): The attack, e.g. ``dict(type='PGDAttack',
            norm='linf', eps=4 / 255, steps=10)``.
        **kwargs: ``backbone``, ``neck``, ``head``... of ``ImageClassifier``.
    """

    def __init__(self,
                 *args,
                 attack: dict,
                 data_preprocessor: Optional[dict] = None,
                 **kwargs):
        super().__init__(
            *args,
            data_preprocessor=preprocessor_cfg(data_preprocessor),
            **kwargs)
        self.build_attack(attack)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        inputs, data_samples = self.adversarial_batch(inputs, data_samples)
        return super().loss(inputs, data_samples)
