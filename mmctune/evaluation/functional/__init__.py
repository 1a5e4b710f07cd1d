from .knn import weighted_knn_predict

__all__ = ['weighted_knn_predict']
