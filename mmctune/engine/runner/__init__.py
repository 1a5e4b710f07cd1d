from .knn_loop import KNNTestLoop, KNNValLoop
from .robust_loop import RobustTestLoop, RobustValLoop

__all__ = ['KNNValLoop', 'KNNTestLoop', 'RobustValLoop', 'RobustTestLoop']
