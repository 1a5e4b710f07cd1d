from .supcon import FocalSupConLoss, SupConLoss, TCLLoss

__all__ = ['SupConLoss', 'FocalSupConLoss', 'TCLLoss']
