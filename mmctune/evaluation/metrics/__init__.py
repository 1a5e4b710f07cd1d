from .domain_accuracy import DomainAccuracy
from .seg_metrics import SegMetrics, seg_scores

__all__ = ['DomainAccuracy', 'SegMetrics', 'seg_scores']
