from .dist import gather_with_grad
from .mixup import HardnessDirectedMixup, ManifoldMixup
from .weight_init import (CheckpointMismatchError, Pretrained,
                          extract_state_dict, load_state_dict_strict)

__all__ = [
    'Pretrained', 'CheckpointMismatchError', 'extract_state_dict',
    'load_state_dict_strict', 'HardnessDirectedMixup', 'ManifoldMixup',
    'gather_with_grad'
]
