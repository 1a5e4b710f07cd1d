from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmctune.registry import MODELS
from ..regularizers import BaseRegularizer
from ..utils.capture import capture_outputs
from ..utils.frozen import copy_weights, frozen_copy
from ..utils.loss_names import name_ce_term
from .adversarial import AdversarialTrainingMixin
from .utils import preprocessor_cfg


@MODELS.register_module()
class RegularizedClassifier(AdversarialTrainingMixin, ImageClassifier):
    """mmpretrain's ``ImageClassifier`` plus regularisers towards the
    pre-trained model (L2-SP, DELTA, or your own subclass of
    :class:`~mmctune.models.regularizers.BaseRegularizer`, whose life cycle
    this class drives: ``setup`` once here, ``layers`` captured and
    ``forward`` called every training step).

    ``self.reference`` is a frozen copy of the backbone (its weights are
    buffers: off the optimizer, in every checkpoint), filled with the
    backbone's weights at the end of :meth:`init_weights`, i.e. with the
    ``init_cfg`` pre-trained weights. A resumed run restores it from the
    checkpoint. ``predict`` is mmpretrain's.

    With ``attack``, each step trains on the clean batch and its
    adversarial images together (:class:`~.AdversarialTrainingMixin`): the
    head's and the regularisers' losses are those of the ``2N`` images
    (e.g. AT + L2-SP, the model index's ``AT-L2SP`` collection).

    Args:
        regularizers (list[dict]): The regularisers; their losses are added
            to the head's.
        attack (dict, optional): An adversarial attack to train against,
            e.g. ``dict(type='PGDAttack', norm='linf', eps=4 / 255)``.
            Defaults to None (clean training).
        **kwargs: ``backbone``, ``neck``, ``head``... of ``ImageClassifier``.
    """

    #: tuple[str]: not used to predict: may be missing from a checkpoint
    #: that is only tested (mmctune.apis.load_model_checkpoint)
    TRAIN_ONLY = ('reference', 'regularizers')

    def __init__(self,
                 *args,
                 regularizers: Sequence[dict] = (),
                 attack: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 **kwargs):
        super().__init__(
            *args,
            data_preprocessor=preprocessor_cfg(data_preprocessor),
            **kwargs)
        self.build_attack(attack)
        if not regularizers:
            raise ValueError('RegularizedClassifier needs `regularizers`; '
                             'use mmpretrain.ImageClassifier without them')
        self.regularizers = nn.ModuleList(
            [MODELS.build(reg) for reg in regularizers])
        for reg in self.regularizers:
            if not isinstance(reg, BaseRegularizer):
                raise TypeError(
                    f'RegularizedClassifier: {type(reg).__name__} is not a '
                    'mmctune.models.regularizers.BaseRegularizer; a loss of '
                    'features alone goes in the head (con_loss or '
                    'feature_losses)')
        self.reference = None
        if any(reg.needs_reference for reg in self.regularizers):
            self.reference = frozen_copy(self.backbone)
        self._layers: List[str] = []
        for reg in self.regularizers:
            reg.setup(self)
            self._layers += [
                n for n in reg.layers(self) if n not in self._layers
            ]

    def init_weights(self):
        super().init_weights()
        if self.reference is not None:
            copy_weights(self.backbone, self.reference)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.reference is not None:
            self.reference.eval()
        return self

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        inputs, data_samples = self.adversarial_batch(inputs, data_samples)
        with capture_outputs(self.backbone, self._layers) as fmaps:
            feats = self.extract_feat(inputs)
        losses = name_ce_term(self.head.loss(feats, data_samples))
        ref_fmaps = {}
        if self._layers and self.reference is not None:
            with torch.no_grad(), capture_outputs(self.reference,
                                                  self._layers) as ref_fmaps:
                self.reference(inputs)
        for reg in self.regularizers:
            for name, value in reg(self, fmaps, ref_fmaps).items():
                if name in losses:  # e.g. two regularisers with a head L2
                    value = losses[name] + value
                losses[name] = value
        return losses
