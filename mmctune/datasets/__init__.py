from .imagenet20 import ImageNet20
from .inaturalist import INaturalist2018
from .label_fraction import LabelFraction, stratified_subset

__all__ = [
    'ImageNet20', 'INaturalist2018', 'LabelFraction', 'stratified_subset'
]
