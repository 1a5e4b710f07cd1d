from .ftp import FTPSGD, FastTrainableProjection, FTPAdamW

__all__ = ['FastTrainableProjection', 'FTPSGD', 'FTPAdamW']
