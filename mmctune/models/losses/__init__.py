from .feature_losses import BSSLoss, TripletLoss
from .reference_regularizers import (BaseReferenceRegularizer,
                                     DELTARegularizer, L2SPRegularizer)
from .supcon import FocalSupConLoss, SupConLoss, TCLLoss

__all__ = [
    'SupConLoss', 'FocalSupConLoss', 'TCLLoss', 'BSSLoss', 'TripletLoss',
    'BaseReferenceRegularizer', 'L2SPRegularizer', 'DELTARegularizer'
]
