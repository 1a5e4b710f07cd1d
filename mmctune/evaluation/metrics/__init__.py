from .seg_metrics import SegMetrics, seg_scores

__all__ = ['SegMetrics', 'seg_scores']
