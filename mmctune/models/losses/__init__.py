from .feature_losses import BSSLoss, TripletLoss
from .supcon import FocalSupConLoss, SupConLoss, TCLLoss

__all__ = [
    'SupConLoss', 'FocalSupConLoss', 'TCLLoss', 'BSSLoss', 'TripletLoss'
]
