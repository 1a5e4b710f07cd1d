from .base import BaseRegularizer
from .lwf import LwFRegularizer
from .reference import DELTARegularizer, L2SPRegularizer

__all__ = [
    'BaseRegularizer', 'L2SPRegularizer', 'DELTARegularizer', 'LwFRegularizer'
]
