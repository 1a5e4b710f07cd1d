from .contrastive_cls_head import (ContrastiveClsHead, project_and_contrast,
                                   soft_cross_entropy)
from .contrastive_seg_head import ContrastiveSegHead, image_labels

__all__ = [
    'ContrastiveClsHead', 'soft_cross_entropy', 'project_and_contrast',
    'ContrastiveSegHead', 'image_labels'
]
