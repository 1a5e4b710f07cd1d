from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmpretrain.structures import DataSample


def preprocessor_cfg(
    data_preprocessor: Optional[Union[dict, nn.Module]],
    default_type: str = 'mmpretrain.ClsDataPreprocessor'
) -> Union[dict, nn.Module]:
    """The data preprocessor config with mmpretrain's default type, named
    with its scope: mmpretrain's classifiers default to the unscoped
    ``'ClsDataPreprocessor'``, which the ``mmctune`` scope does not hold."""
    if data_preprocessor is None or isinstance(data_preprocessor, dict):
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', default_type)
    return data_preprocessor


def labels_of(data_samples: List[DataSample], device) -> torch.Tensor:
    """Soft labels (``gt_score``, from batch mixup/cutmix) where the samples
    have them, else the class indices."""
    if 'gt_score' in data_samples[0]:
        return torch.stack([s.gt_score for s in data_samples]).to(device)
    return torch.cat([s.gt_label for s in data_samples]).to(device)
