from .inference import (ImageClassificationInferencer, inference_model,
                        init_model, load_model_checkpoint)

__all__ = [
    'init_model', 'load_model_checkpoint', 'ImageClassificationInferencer',
    'inference_model'
]
