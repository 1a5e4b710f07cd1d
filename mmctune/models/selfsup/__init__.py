from .contrastive_learner import ContrastiveLearner
from .hcsc import HCSC

__all__ = ['ContrastiveLearner', 'HCSC']
