from .auto_augment import TorchvisionAutoAugment
from .loading import LoadImageFromFile
from .seg_center_crop import SegCenterCrop

__all__ = ['LoadImageFromFile', 'SegCenterCrop', 'TorchvisionAutoAugment']
