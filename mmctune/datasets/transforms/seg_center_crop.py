from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmctune.registry import TRANSFORMS


def center_crop_box(height: int, width: int, crop_h: int,
                    crop_w: int) -> Tuple[int, int, int, int]:
    """``(pad_top, pad_left, top, left)`` of a ``crop_h x crop_w`` centre
    crop of a ``height x width`` image, as torchvision's ``center_crop``
    computes it: an image smaller than the crop is first padded on both
    sides, ``floor`` of the missing rows (columns) above (left) and
    ``ceil`` below (right); the crop then starts at
    ``round((H - crop_h) / 2)`` of the padded height ``H`` (and likewise
    for the width)."""
    pad_top = max(crop_h - height, 0) // 2
    pad_left = max(crop_w - width, 0) // 2
    padded_h, padded_w = max(height, crop_h), max(width, crop_w)
    top = int(round((padded_h - crop_h) / 2.0))
    left = int(round((padded_w - crop_w) / 2.0))
    return pad_top, pad_left, top, left


def _pad_and_crop(array: np.ndarray, crop_h: int, crop_w: int,
                  value: Union[int, float]) -> np.ndarray:
    height, width = array.shape[:2]
    pad_top, pad_left, top, left = center_crop_box(height, width, crop_h,
                                                   crop_w)
    pad_bottom = max(crop_h - height, 0) - pad_top
    pad_right = max(crop_w - width, 0) - pad_left
    if pad_top or pad_bottom or pad_left or pad_right:
        widths = [(pad_top, pad_bottom), (pad_left, pad_right)]
        widths += [(0, 0)] * (array.ndim - 2)
        array = np.pad(array, widths, mode='constant', constant_values=value)
    return np.ascontiguousarray(array[top:top + crop_h, left:left + crop_w])


@TRANSFORMS.register_module()
class SegCenterCrop(BaseTransform):
    """Centre crop of an image and its segmentation maps, padded first where
    the image is smaller than the crop: the Core-tuning paper's evaluation
    for PASCAL VOC (§5.2, Table 7: images "rescaled to 513×513 ... with
    center crop for evaluation"). mmseg has no centre crop, and mmcv's
    ``CenterCrop`` pads on the bottom and right only.

    With the image ``H × W`` and the crop ``h × w``:

    - **pad** (only if ``H < h`` or ``W < w``) on both sides to
      ``max(H, h) × max(W, w)``: ``floor`` of the missing rows above and
      ``ceil`` below, the same for columns (torchvision's
      ``center_crop``). The image is padded with ``pad_val`` (0, black
      before normalisation), every map in ``seg_fields`` with
      ``seg_pad_val`` (255, mmseg's ``ignore_index``: padded pixels count
      in no metric and no loss);
    - **crop** ``h × w`` at row ``round((max(H, h) - h) / 2)`` and column
      ``round((max(W, w) - w) / 2)``, the image and the maps alike.

    The crop becomes the image that is predicted and scored: ``img_shape``,
    ``pad_shape`` and ``ori_shape`` are set to ``(h, w)``. mmseg's
    segmentors resize each prediction to ``ori_shape``, so the prediction
    comes out at the crop's size and is compared with the cropped label
    pixel for pixel. Load the label before resizing
    (``LoadAnnotations``, then ``Resize``, then this transform), so that it
    is resized (nearest) and cropped with the image.

    Required keys: ``img``; the maps named in ``seg_fields`` (optional).
    Modified keys: ``img``, those maps, ``img_shape``, ``pad_shape``,
    ``ori_shape``. Added key: ``center_crop`` (``(pad_top, pad_left, top,
    left)``, see :func:`center_crop_box`).

    Args:
        crop_size (int | tuple[int, int]): ``(h, w)`` of the crop (mmseg's
            ``RandomCrop`` order), or one int for a square.
        pad_val (int | float): Image padding value. Defaults to 0.
        seg_pad_val (int): Segmentation-map padding value. Defaults to
            255 (the ignore index).
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]],
                 pad_val: Union[int, float] = 0,
                 seg_pad_val: int = 255) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        crop_size = tuple(crop_size)
        if len(crop_size) != 2 or not all(
                isinstance(s, int) and s > 0 for s in crop_size):
            raise ValueError('SegCenterCrop: crop_size must be a positive '
                             f'int or (h, w) of positive ints, got '
                             f'{crop_size!r}')
        self.crop_size = crop_size
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val

    def transform(self, results: dict) -> dict:
        crop_h, crop_w = self.crop_size
        img = results['img']
        results['center_crop'] = center_crop_box(*img.shape[:2], crop_h,
                                                 crop_w)
        results['img'] = _pad_and_crop(img, crop_h, crop_w, self.pad_val)
        for key in results.get('seg_fields', []):
            results[key] = _pad_and_crop(results[key], crop_h, crop_w,
                                         self.seg_pad_val)
        results['img_shape'] = results['pad_shape'] = \
            results['ori_shape'] = (crop_h, crop_w)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'pad_val={self.pad_val}, seg_pad_val={self.seg_pad_val})')
