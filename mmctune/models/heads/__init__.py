from .contrastive_seg_head import ContrastiveSegHead, image_labels
from .feature_regularized_cls_head import (FeatureRegularizedClsHead,
                                           project_and_contrast,
                                           soft_cross_entropy)

__all__ = [
    'FeatureRegularizedClsHead', 'soft_cross_entropy', 'project_and_contrast',
    'ContrastiveSegHead', 'image_labels'
]
