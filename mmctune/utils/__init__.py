from .misc import (init_weights_quietly, init_weights_seeded,
                   silence_known_warnings, unwrap_model)
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'unwrap_model', 'silence_known_warnings',
    'init_weights_quietly', 'init_weights_seeded'
]
