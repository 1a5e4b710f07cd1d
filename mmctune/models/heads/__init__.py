from .contrastive_cls_head import ContrastiveClsHead, soft_cross_entropy

__all__ = ['ContrastiveClsHead', 'soft_cross_entropy']
