from .features import extract_features
from .knn import weighted_knn_predict
from .s_dbw import s_dbw

__all__ = ['extract_features', 'weighted_knn_predict', 's_dbw']
