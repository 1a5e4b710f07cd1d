import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from mmctune.registry import TRANSFORMS


@TRANSFORMS.register_module()
class TorchvisionAutoAugment(BaseTransform):
    """AutoAugment (Cubuk et al., CVPR 2019) with one of the policies the
    AutoAugment paper learned, as torchvision implements them
    (``torchvision.transforms.AutoAugment``): ``'cifar10'``, ``'imagenet'``
    or ``'svhn'``. mmpretrain's ``AutoAugment`` ships the ImageNet policy
    only, and its preset names its operations without a scope, so they do
    not resolve in the mmctune scope.

    Each call draws one of the policy's sub-policies and applies its two
    operations with their probabilities, from torch's random generator (so
    the data loader's worker seeds fix it), to ``results['img']``, an
    ``H x W x 3`` uint8 array (or ``H x W``). The colour operations weigh
    the channels as RGB: ``channel_order='bgr'`` for images loaded by
    ``LoadImageFromFile`` (BGR), ``'rgb'`` for CIFAR's arrays.

    Args:
        policy (str): ``'cifar10'``, ``'imagenet'`` or ``'svhn'``.
        channel_order (str): ``'rgb'`` or ``'bgr'``.
        fill (int | list, optional): Fill of the pixels that geometric
            operations uncover (torchvision's ``fill``; default black).
    """

    def __init__(self,
                 policy: str = 'cifar10',
                 channel_order: str = 'rgb',
                 fill=None) -> None:
        from torchvision.transforms import AutoAugment, AutoAugmentPolicy
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError(
                f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        self.policy = policy
        self.channel_order = channel_order
        self.augment = AutoAugment(AutoAugmentPolicy(policy), fill=fill)

    def transform(self, results: dict) -> dict:
        img = results['img']
        flip = self.channel_order == 'bgr' and img.ndim == 3
        if flip:
            img = img[..., ::-1]
        out = np.asarray(
            self.augment(Image.fromarray(np.ascontiguousarray(img))))
        if flip:
            out = out[..., ::-1]
        results['img'] = np.array(out)  # a writable copy
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(policy={self.policy!r}, '
                f'channel_order={self.channel_order!r})')
