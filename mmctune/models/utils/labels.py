"""Labels of a batch as the losses take them: the one place a batch's
``gt_score`` / ``gt_label`` become tensors."""
from typing import List

import torch


def labels_of(data_samples: List, device) -> torch.Tensor:
    """Soft labels (``gt_score``, from batch mixup/cutmix) where the samples
    have them, else the class indices: (n, K) float or (n, ) long."""
    if 'gt_score' in data_samples[0]:
        return torch.stack([s.gt_score for s in data_samples]).to(device)
    return torch.cat([s.gt_label for s in data_samples]).to(device)


def soft_labels(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(n, K) float labels: one-hot of class indices (n, ), or ``labels``
    itself when already (n, K) soft labels.

    The one-hot is a scatter, not ``F.one_hot``, which reads the labels'
    range back to the host (a GPU synchronisation in every training step);
    the labels' range is checked once, before training
    (``DatasetCheckHook``), and an index out of range still fails here."""
    if labels.dim() == 2:
        if labels.size(1) != num_classes:
            raise ValueError(f'soft labels of {labels.size(1)} classes for '
                             f'{num_classes} classes')
        return labels.float()
    return torch.zeros(
        labels.size(0), num_classes,
        device=labels.device).scatter_(1,
                                       labels.long()[:, None], 1.0)
