from .loading import LoadImageFromFile

__all__ = ['LoadImageFromFile']
