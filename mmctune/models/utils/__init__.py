from .attacks import PGDAttack, bn_stats_kept
from .capture import capture_outputs
from .dist import gather_with_grad
from .frozen import copy_weights, frozen_copy, momentum_update
from .labels import labels_of, soft_labels
from .mixup import HardnessDirectedMixup, ManifoldMixup
from .weight_init import (CheckpointMismatchError, Pretrained,
                          extract_state_dict, load_state_dict_strict,
                          train_only_prefixes)

__all__ = [
    'Pretrained', 'CheckpointMismatchError', 'extract_state_dict',
    'load_state_dict_strict', 'HardnessDirectedMixup', 'ManifoldMixup',
    'gather_with_grad', 'frozen_copy', 'copy_weights', 'momentum_update',
    'capture_outputs', 'PGDAttack', 'bn_stats_kept', 'labels_of',
    'soft_labels', 'train_only_prefixes'
]
