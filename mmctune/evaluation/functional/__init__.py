from .features import extract_features
from .knn import weighted_knn_predict
from .s_dbw import s_dbw
from .transferability import gmm_source_probs, h_score, leep, logme, nce

__all__ = [
    'extract_features', 'weighted_knn_predict', 's_dbw', 'logme', 'leep',
    'nce', 'h_score', 'gmm_source_probs'
]
