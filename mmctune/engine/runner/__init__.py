from .knn_loop import KNNTestLoop, KNNValLoop

__all__ = ['KNNValLoop', 'KNNTestLoop']
