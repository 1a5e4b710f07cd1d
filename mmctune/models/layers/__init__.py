from .stoch_norm import (StochNorm1d, StochNorm2d, StochNorm3d,
                         convert_to_stochnorm)

__all__ = ['StochNorm1d', 'StochNorm2d', 'StochNorm3d', 'convert_to_stochnorm']
