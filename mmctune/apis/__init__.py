from .inference import (ImageClassificationInferencer, inference_model,
                        init_model, load_model_checkpoint)
from .model import (ModelHub, get_model, list_models, list_settings,
                    model_of_config, setting_models)

__all__ = [
    'init_model', 'load_model_checkpoint', 'ImageClassificationInferencer',
    'inference_model', 'ModelHub', 'get_model', 'list_models', 'list_settings',
    'setting_models', 'model_of_config'
]
