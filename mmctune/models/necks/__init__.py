from .projector import MLPProjector

__all__ = ['MLPProjector']
