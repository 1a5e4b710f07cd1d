from typing import List, Optional

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmctune.registry import MODELS
from ..utils.labels import labels_of
from .utils import preprocessor_cfg


@MODELS.register_module()
class AdversarialClassifier(ImageClassifier):
    """Adversarial fine-tuning (the Core-tuning paper's §5.4): each training
    step attacks the batch (``attack``, e.g. PGD-10) and trains on the clean
    and the adversarial images together, as one batch of ``2N`` samples
    through the head, so with ``FeatureRegularizedClsHead`` the adversarial
    samples take part in the contrastive loss and the pair mining
    (AT-CE-Con, AT-Core) as any other sample of their class.

    BatchNorm in training mode normalises the joint batch with its
    statistics. How BN behaves while the attack runs is the attack's
    ``bn_mode`` (``'eval'`` by default: running statistics; see
    :class:`~mmctune.models.utils.PGDAttack`). ``predict`` is mmpretrain's:
    robust accuracy is measured by
    :class:`~mmctune.engine.runner.RobustValLoop` /
    :class:`~mmctune.engine.runner.RobustTestLoop`.

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
        self.attack = MODELS.build(attack)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        adv = self.attack(self, inputs, labels_of(data_samples, inputs.device))
        feats = self.extract_feat(torch.cat([inputs, adv]))
        # the heads only read the labels: the same samples serve both halves
        return self.head.loss(feats, list(data_samples) * 2)
