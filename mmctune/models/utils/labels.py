"""Labels of a batch as the losses take them: the one place a batch's
``gt_score`` / ``gt_label`` become tensors."""
from typing import List

import torch
import torch.nn.functional as F


def labels_of(data_samples: List, device) -> torch.Tensor:
    """Soft labels (``gt_score``, from batch mixup/cutmix) where the samples
    have them, else the class indices: (n, K) float or (n, ) long."""
    if 'gt_score' in data_samples[0]:
        return torch.stack([s.gt_score for s in data_samples]).to(device)
    return torch.cat([s.gt_label for s in data_samples]).to(device)


def soft_labels(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(n, K) float labels: one-hot of class indices (n, ), or ``labels``
    itself when already (n, K) soft labels."""
    if labels.dim() == 2:
        if labels.size(1) != num_classes:
            raise ValueError(f'soft labels of {labels.size(1)} classes for '
                             f'{num_classes} classes')
        return labels.float()
    return F.one_hot(labels.long(), num_classes).float()
