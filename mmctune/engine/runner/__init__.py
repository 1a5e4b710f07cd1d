from .knn_loop import KNNTestLoop, KNNValLoop
from .robust_loop import RobustTestLoop, RobustValLoop
from .runner import FileOnlyFilter, Runner, RunSummaryHook

__all__ = [
    'KNNValLoop', 'KNNTestLoop', 'RobustValLoop', 'RobustTestLoop', 'Runner',
    'FileOnlyFilter', 'RunSummaryHook'
]
