from .adversarial import AdversarialClassifier, AdversarialTrainingMixin
from .bi_tuning import BiTuningClassifier
from .co_tuning import CoTuningClassifier
from .dr_tune import DRTuneClassifier
from .regularized import RegularizedClassifier

__all__ = [
    'AdversarialClassifier', 'AdversarialTrainingMixin',
    'RegularizedClassifier', 'BiTuningClassifier', 'CoTuningClassifier',
    'DRTuneClassifier'
]
