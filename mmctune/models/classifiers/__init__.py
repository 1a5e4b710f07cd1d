from .adversarial import AdversarialClassifier
from .bi_tuning import BiTuningClassifier
from .regularized import RegularizedClassifier

__all__ = [
    'AdversarialClassifier', 'RegularizedClassifier', 'BiTuningClassifier'
]
