from .split_batch_norm import SplitBatchNorm2d
from .stoch_norm import (StochNorm1d, StochNorm2d, StochNorm3d,
                         convert_to_stochnorm)

__all__ = [
    'SplitBatchNorm2d', 'StochNorm1d', 'StochNorm2d', 'StochNorm3d',
    'convert_to_stochnorm'
]
