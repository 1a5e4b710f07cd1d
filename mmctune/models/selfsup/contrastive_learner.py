from typing import Dict, List

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_rank, get_world_size, is_distributed
from mmpretrain.models import SimCLR

from mmctune.registry import MODELS
from ..utils import gather_with_grad


@MODELS.register_module()
class ContrastiveLearner(SimCLR):
    r"""Contrastive pre-training with any registered contrastive loss:
    SimCLR's two views through the encoder and projector, and one loss
    (``SupConLoss``, ``TCLLoss``, ...) over the :math:`2N` L2-normalised
    embeddings :math:`v`, each with a label :math:`y`:

    - ``positives='instance'`` (self-supervised): :math:`y` is the image's
      index, so each view's only positive is the other view of its image.
      With ``SupConLoss`` this is SimCLR's NT-Xent loss exactly; with
      ``TCLLoss`` it is TCL's self-supervised setting.
    - ``positives='class'`` (supervised, SupCon's protocol; Khosla et al.,
      2020): :math:`y` is the image's class, so every view of the class is a
      positive. Stage 1 of the SupCon / TCL supervised protocol (a linear
      classifier on the frozen encoder follows, as a second config).

    Args:
        backbone, neck, data_preprocessor, init_cfg: as mmpretrain's
            ``SimCLR`` (no ``head``: the loss takes its place).
        loss (dict): The contrastive loss, e.g.
            ``dict(type='TCLLoss', temperature=0.5, k1=1.0, k2=1.5)``.
        positives (str): ``'instance'`` or ``'class'``.
        gather_distributed (bool): Contrast against the embeddings of every
            process (as SimCLR's ``GatherLayer``), with the gradient to this
            process's part. Defaults to True.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 loss: dict,
                 positives: str = 'instance',
                 gather_distributed: bool = True,
                 **kwargs):
        if positives not in ('instance', 'class'):
            raise ValueError(
                f"positives must be 'instance' (self-supervised) or 'class' "
                f'(supervised), got {positives!r}')
        if kwargs.pop('head', None) is not None:
            raise ValueError('ContrastiveLearner takes `loss`, not a `head` '
                             '(set head=None when inheriting a SimCLR '
                             'config)')
        super().__init__(backbone=backbone, neck=neck, **kwargs)
        self.con_loss = MODELS.build(loss)
        self.positives = positives
        self.gather_distributed = gather_distributed

    def loss(self, inputs: List[torch.Tensor], data_samples,
             **kwargs) -> Dict[str, torch.Tensor]:
        if not isinstance(inputs, list) or len(inputs) != 2:
            raise ValueError(
                'ContrastiveLearner needs two views of each image: a '
                'pipeline with mmpretrain.MultiView(num_views=2)')
        n = inputs[0].size(0)
        z = self.neck(self.backbone(torch.cat(inputs)))[0]
        v = F.normalize(z, dim=1)  # rows: view 1 of images 0..n-1, view 2
        if self.positives == 'instance':
            y = torch.arange(n, device=v.device)
        else:
            y = torch.cat([s.gt_label for s in data_samples]).to(v.device)
            if y.numel() != n:
                raise ValueError('positives="class" needs one label per '
                                 f'image, got {y.numel()} for {n} images')
        y = torch.cat([y, y])
        if (self.gather_distributed and is_distributed()
                and get_world_size() > 1):
            if self.positives == 'instance':  # image indices, unique
                y = y + get_rank() * n
            v = gather_with_grad(v)
            y = torch.cat(all_gather(y))  # in gather_with_grad's order
        return dict(loss_con=self.con_loss(v, y))
