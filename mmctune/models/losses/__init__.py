from .supcon import FocalSupConLoss, SupConLoss

__all__ = ['SupConLoss', 'FocalSupConLoss']
