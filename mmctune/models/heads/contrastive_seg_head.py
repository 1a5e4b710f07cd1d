from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule

from mmctune.registry import MODELS
from ..utils.dist import gather_with_grad
from ..utils.labels import soft_labels
from .feature_regularized_cls_head import (project_and_contrast,
                                           unknown_arguments)


def image_labels(masks: Sequence[torch.Tensor],
                 num_classes: int,
                 ignore_index: int = 255,
                 background_index: Optional[int] = 0,
                 background_only: str = 'ignore',
                 min_fraction: float = 0.0) -> torch.Tensor:
    """One label per image from its segmentation mask: the class covering
    the most pixels, counting neither ``ignore_index`` pixels nor (unless
    ``background_index`` is None) background pixels; ties go to the lower
    class index. ``-1`` means no label: the image leaves the contrastive
    term.

    - An image of ``ignore_index`` pixels only: ``-1``.
    - An image of background (and ignore) pixels only: ``-1`` with
      ``background_only='ignore'``, ``background_index`` with ``'label'``.
    - An image whose dominant class covers less than ``min_fraction`` of
      its counted pixels: ``-1``.

    Args:
        masks (Sequence[Tensor]): (H, W) or (1, H, W) class-index masks.
        num_classes (int): Classes (pixels outside ``[0, num_classes)``
            other than ``ignore_index`` are an error).

    Returns:
        Tensor: (N, ) long labels, -1 for none.
    """
    if background_only not in ('ignore', 'label'):
        raise ValueError("background_only must be 'ignore' or 'label', got "
                         f'{background_only!r}')
    if not masks:
        return torch.zeros(0, dtype=torch.long)
    # per-image class counts in one bincount over the whole batch (no loop
    # over the images, no host synchronisation per image)
    flat = [m.reshape(-1).long() for m in masks]
    image = torch.repeat_interleave(
        torch.arange(len(flat), device=flat[0].device),
        torch.tensor([f.numel() for f in flat], device=flat[0].device))
    pixels = torch.cat(flat)
    counted = pixels != ignore_index
    image, pixels = image[counted], pixels[counted]
    bad = (pixels < 0) | (pixels >= num_classes)
    if bad.any():
        found = sorted(pixels.unique().tolist())
        raise ValueError(f'mask values must lie in [0, {num_classes}) or '
                         f'be ignore_index={ignore_index}; got {found}')
    counts = torch.bincount(
        image * num_classes + pixels,
        minlength=len(flat) * num_classes).view(len(flat), num_classes)
    background = None
    if background_index is not None:
        n = counts.sum(dim=1)
        background = (n > 0) & (counts[:, background_index] == n)
        counts[:, background_index] = 0
    total = counts.sum(dim=1)
    best, top = counts.max(dim=1)  # ties: the first (lowest) class
    none = (total == 0) | (best < min_fraction * total)
    labels = torch.where(none, torch.full_like(top, -1), top)
    if background is not None:
        labels[background] = (
            background_index if background_only == 'label' else -1)
    return labels.cpu()


@MODELS.register_module()
class ContrastiveSegHead(BaseModule):
    r"""Core-tuning's contrastive regulariser for semantic segmentation, as
    an auxiliary head of mmseg's ``EncoderDecoder`` (the paper's §5.2: "the
    contrastive regularizer after the penultimate layer of ResNet-50 via an
    additional global average pooling").

    The backbone's ``in_index`` output is average-pooled to one feature
    :math:`z` per image; each image gets a label from its mask
    (:func:`image_labels`: the dominant non-background, non-ignore class;
    images without one leave the term). Then, as
    :class:`FeatureRegularizedClsHead`: the ``miner``'s hard pairs
    (Core-tuning's hardness-directed mixup), the projector, and
    ``con_loss`` (the focal SupCon, weighted by its own ``loss_weight``,
    :math:`\eta`), reported as ``loss_con``
    (``aux_<i>.loss_con`` in the segmentor's log). The head predicts
    nothing: the decode head does.

    Args:
        in_channels (int): Channels of the pooled backbone output.
        num_classes (int): Segmentation classes.
        in_index (int): Which backbone output. Defaults to -1 (the last).
        projector (dict, optional): Defaults to ``MLPProjector``
            ``in_channels`` -> 2048 -> 256.
        con_loss (dict): Defaults to ``FocalSupConLoss`` (τ = 0.07,
            ``loss_weight`` :math:`\eta` = 1).
        miner (dict, optional): Defaults to ``HardnessDirectedMixup``
            (α = 1, λ_n = 0.8); None: plain SupCon pairs (SCL).
        ignore_index (int): Defaults to 255.
        background_index (int, optional): The background class: an image's
            label only if it holds nothing else and ``background_only`` is
            ``'label'``. None: background is a class like the others.
            Defaults to 0 (PASCAL VOC).
        background_only (str): Images of background only: ``'ignore'``
            (default; left out) or ``'label'`` (labelled background).
        min_fraction (float): See :func:`image_labels`. Defaults to 0.
        gather_distributed (bool): Mine and contrast over the global batch.
            Defaults to False.
    """

    #: tuple[str]: not used to predict: may be missing from a checkpoint
    #: that is only tested (mmctune.apis.load_model_checkpoint)
    TRAIN_ONLY = ('projector', )

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 in_index: int = -1,
                 projector: Optional[dict] = None,
                 con_loss: Optional[dict] = None,
                 miner: Optional[dict] = dict(
                     type='HardnessDirectedMixup', alpha=1.0, lambda_n=0.8),
                 ignore_index: int = 255,
                 background_index: Optional[int] = 0,
                 background_only: str = 'ignore',
                 min_fraction: float = 0.0,
                 gather_distributed: bool = False,
                 init_cfg: Optional[dict] = None,
                 **unknown):
        unknown_arguments(type(self), unknown)
        super().__init__(init_cfg=init_cfg)
        if background_index is not None and not (0 <= background_index <
                                                 num_classes):
            raise ValueError(f'background_index={background_index} is not '
                             f'a class of {num_classes}')
        image_labels([], num_classes, background_only=background_only)
        if not 0 <= min_fraction <= 1:
            raise ValueError(f'min_fraction must be in [0, 1], got '
                             f'{min_fraction}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.in_index = in_index
        self.ignore_index = ignore_index
        self.background_index = background_index
        self.background_only = background_only
        self.min_fraction = min_fraction
        self.gather_distributed = gather_distributed
        self.con_loss = MODELS.build(
            con_loss or dict(type='FocalSupConLoss', temperature=0.07))
        self.miner = MODELS.build(miner) if miner else None
        self.projector = MODELS.build(
            projector or dict(type='MLPProjector', in_channels=in_channels))

    def image_labels(self, data_samples: List) -> torch.Tensor:
        return image_labels([s.gt_sem_seg.data
                             for s in data_samples], self.num_classes,
                            self.ignore_index, self.background_index,
                            self.background_only, self.min_fraction)

    def loss(self,
             inputs: Tuple[torch.Tensor],
             batch_data_samples: List,
             train_cfg=None) -> dict:
        x = inputs[self.in_index]
        z = x.mean(dim=(2, 3))
        labels = self.image_labels(batch_data_samples).to(z.device)
        if self.gather_distributed:
            # one collective for features and labels together
            both = gather_with_grad(
                torch.cat([z, labels[:, None].to(z.dtype)], dim=1))
            z, labels = both[:, :-1], both[:, -1].round().long()
        keep = labels >= 0
        if int(keep.sum()) < 2:
            # nothing to contrast; a zero that keeps every parameter in the
            # graph (DistributedDataParallel expects gradients for all)
            zero = z.sum() * 0 + sum(p.sum() * 0
                                     for p in self.projector.parameters())
            return dict(loss_con=zero)
        z = z[keep]
        y = soft_labels(labels[keep], self.num_classes)
        pos = neg = None
        if self.miner is not None:
            pos, _, neg, _ = self.miner(z, y)
        return dict(
            loss_con=project_and_contrast(self.projector, self.con_loss, z, y,
                                          pos, neg))
