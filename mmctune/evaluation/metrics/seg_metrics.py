from collections import OrderedDict
from typing import Dict

import numpy as np
from mmengine.logging import print_log
from mmseg.evaluation.metrics import IoUMetric

from mmctune.registry import METRICS


def seg_scores(intersect: np.ndarray, union: np.ndarray,
               area_label: np.ndarray) -> Dict[str, float]:
    """The Core-tuning paper's Table 7 measures, in %, from per-class pixel
    counts summed over the dataset (classes absent from the ground truth
    and the predictions are left out of the means):

    - ``MPA``: mean over classes of the pixel accuracy ``|P∩G| / |G|``;
    - ``MIoU``: mean over classes of ``|P∩G| / |P∪G|``;
    - ``FWIoU``: ``Σ_c (|G_c| / Σ|G|) · IoU_c``, IoU weighted by each class's
      pixel frequency;
    - ``aAcc``: all pixels' accuracy, ``Σ|P∩G| / Σ|G|``.
    """
    intersect, union, area_label = (
        np.asarray(a, dtype=np.float64)
        for a in (intersect, union, area_label))
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = intersect / union
        acc = intersect / area_label
    freq = area_label / area_label.sum()
    return OrderedDict(
        MPA=float(np.nanmean(acc) * 100),
        FWIoU=float(np.nansum(freq * iou) * 100),
        MIoU=float(np.nanmean(iou) * 100),
        aAcc=float(intersect.sum() / area_label.sum() * 100))


@METRICS.register_module()
class SegMetrics(IoUMetric):
    """MPA, FWIoU and MIoU (the Core-tuning paper's Table 7) in one metric;
    mmseg's ``IoUMetric`` lacks FWIoU. Per-image counting is
    ``IoUMetric``'s (``ignore_index`` pixels are left out); the measures are
    :func:`seg_scores`, rounded to 2 decimals.

    Args: those of ``IoUMetric`` (``ignore_index`` 255, ``prefix``...).
    """

    def compute_metrics(self, results: list) -> Dict[str, float]:
        if not results:
            raise ValueError('SegMetrics: no results (empty dataset?)')
        intersect, union, _, area_label = (
            sum(r[i] for r in results).cpu().numpy() for i in range(4))
        scores = seg_scores(intersect, union, area_label)
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = intersect / union * 100
        classes = (self.dataset_meta or {}).get('classes') or range(len(iou))
        print_log(
            'per-class IoU: ' + ', '.join(f'{c}: {v:.2f}'
                                          for c, v in zip(classes, iou)),
            logger='current')
        return OrderedDict((k, round(v, 2)) for k, v in scores.items())
