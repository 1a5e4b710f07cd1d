from .base import BaseRegularizer
from .reference import DELTARegularizer, L2SPRegularizer

__all__ = ['BaseRegularizer', 'L2SPRegularizer', 'DELTARegularizer']
