from .caltech101 import Caltech101RandomSplit
from .cifar import CIFAR10, CIFAR100
from .eval_loader import find_pipeline, set_pipeline, train_eval_loader_cfg
from .flowers import Flowers102Kaggle
from .imagenet20 import ImageNet20
from .inaturalist import INaturalist2018
from .label_fraction import LabelFraction, stratified_subset
from .multi_domain import (PACS, VLCS, MultiDomainDataset, OfficeHome,
                           source_holdout)
from .samplers import DomainBalancedSampler, domain_labels_of
from .transforms import LoadImageFromFile

__all__ = [
    'CIFAR10', 'CIFAR100', 'Caltech101RandomSplit', 'Flowers102Kaggle',
    'ImageNet20', 'INaturalist2018', 'LabelFraction', 'stratified_subset',
    'MultiDomainDataset', 'PACS', 'VLCS', 'OfficeHome', 'source_holdout',
    'DomainBalancedSampler', 'domain_labels_of', 'LoadImageFromFile',
    'train_eval_loader_cfg', 'find_pipeline', 'set_pipeline'
]
