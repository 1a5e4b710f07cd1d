from .bi_tuning import BiTuningClassifier
from .regularized import RegularizedClassifier

__all__ = ['RegularizedClassifier', 'BiTuningClassifier']
