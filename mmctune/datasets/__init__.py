from .imagenet20 import ImageNet20
from .inaturalist import INaturalist2018

__all__ = ['ImageNet20', 'INaturalist2018']
