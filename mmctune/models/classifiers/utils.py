from typing import Optional, Union

import torch.nn as nn


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
