from .contrastive_learner import ContrastiveLearner

__all__ = ['ContrastiveLearner']
