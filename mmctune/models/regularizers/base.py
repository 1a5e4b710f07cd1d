"""The extension point for regularisers that need the whole model."""
from typing import Dict, List

import torch
import torch.nn as nn


class BaseRegularizer(nn.Module):
    """A regulariser of
    :class:`~mmctune.models.classifiers.RegularizedClassifier`: a loss that
    needs more than the head's features (the backbone's weights, its
    intermediate feature maps, a frozen copy of the pre-trained backbone).
    A loss of features alone belongs to the head instead (``con_loss`` or
    ``feature_losses`` of
    :class:`~mmctune.models.heads.FeatureRegularizedClsHead`).

    Life cycle, driven by ``RegularizedClassifier``:

    1. ``__init__(**cfg)``: built from the config, before the model exists.
    2. :meth:`setup` ``(model)``: once, when the backbone and head exist and
       before any weight is loaded (make buffers sized by the backbone
       here, so checkpoints carry them).
    3. :meth:`layers` ``(model)``: names of the backbone modules whose
       outputs each step captures, from the fine-tuned backbone and, when
       :attr:`needs_reference`, from ``model.reference``, the frozen copy of
       the pre-trained backbone.
    4. :meth:`forward` ``(model, fmaps, ref_fmaps)`` every training step:
       a dict of named losses (``loss_<name>``), added to the head's; a name
       two regularisers return is summed.

    Subclasses implement :meth:`forward` and override the rest as needed.
    """
    #: read ``model.reference`` (the classifier keeps the frozen copy only
    #: when some regulariser needs it)
    needs_reference: bool = True

    def setup(self, model: nn.Module) -> None:
        """Prepare for ``model`` (called once by the model's ``__init__``).
        Defaults to nothing."""

    def layers(self, model: nn.Module) -> List[str]:
        """Names (in ``model.backbone``) of the modules whose outputs
        :meth:`forward` receives. Defaults to none."""
        return []

    def forward(self, model: nn.Module, fmaps: Dict[str, torch.Tensor],
                ref_fmaps: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The losses of one step.

        Args:
            model: The ``RegularizedClassifier`` (unwrapped).
            fmaps: Outputs of :meth:`layers` in the fine-tuned backbone.
            ref_fmaps: The same in ``model.reference`` (empty when no
                regulariser lists layers).
        """
        raise NotImplementedError
