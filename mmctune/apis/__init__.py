from .inference import init_model, load_model_checkpoint

__all__ = ['init_model', 'load_model_checkpoint']
