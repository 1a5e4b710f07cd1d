from .adversarial import AdversarialClassifier
from .bi_tuning import BiTuningClassifier
from .co_tuning import CoTuningClassifier
from .regularized import RegularizedClassifier

__all__ = [
    'AdversarialClassifier', 'RegularizedClassifier', 'BiTuningClassifier',
    'CoTuningClassifier'
]
