"""Learning without Forgetting for a contrastive pre-trained checkpoint."""
from typing import List

import torch
import torch.nn.functional as F

from mmctune.registry import MODELS
from ..utils.dist import gather_with_grad
from .base import BaseRegularizer


def pooled_features(model, backbone_outs) -> torch.Tensor:
    """The head's input features (neck, then ``head.pre_logits``) of a
    backbone's outputs: the fine-tuned model's own feature path, applied to
    its backbone or to the frozen reference's outputs alike."""
    feats = tuple(backbone_outs)
    if model.with_neck:
        feats = model.neck(feats)
    return model.head.pre_logits(feats)


@MODELS.register_module()
class LwFRegularizer(BaseRegularizer):
    r"""LwF (Li & Hoiem, "Learning without Forgetting", ECCV 2016 / TPAMI
    2018; tllib's ``tllib.regularization.lwf`` and
    ``examples/task_adaptation/image_classification/lwf.py``): fine-tune
    while keeping the outputs of the pre-trained task on the new images
    close to those the pre-trained model gives,

    .. math::
        L = L_{ce} + \lambda \frac{1}{B} \sum_i
            \mathrm{KL}\left(\mathrm{softmax}(t_i / T) \,\|\,
                             \mathrm{softmax}(s_i / T)\right)

    with :math:`t_i` the pre-trained model's source-task logits of image
    :math:`i` and :math:`s_i` those of the model being fine-tuned (tllib's
    ``KnowledgeDistillationLoss``, ``reduction='batchmean'``).

    **What stands in for the source classifier.** tllib takes the logits
    of the supervised ImageNet classifier. A contrastive (CSL) checkpoint
    has no classifier: its pre-training task is *instance discrimination*,
    whose "classes" are the images themselves and whose classifier is the
    cosine similarity to other images' embeddings divided by a temperature
    (MoCo's keys, SimCLR's batch). So the source logits of image :math:`i`
    are its similarities to the frozen pre-trained model's embeddings
    :math:`\hat z^0_j` of every image :math:`j` of the batch (all GPUs'
    batches, gathered, so the loss does not depend on the number of GPUs),

    .. math::
        t_{ij} = \hat z^0_i \cdot \hat z^0_j, \qquad
        s_{ij} = \hat z_i \cdot \hat z^0_j,

    :math:`\hat z` the L2-normalised pooled encoder features (the head's
    input) of the fine-tuned backbone and :math:`\hat z^0` those of the
    frozen pre-trained copy, the teacher's embeddings serving as the class
    weights of both, as a frozen source head does in tllib. This is the
    distillation of self-supervised models by their similarity
    distributions (SEED, Fang et al., ICLR 2021; CompRess, Abbasi
    Koohpayegani et al., NeurIPS 2020), with the batch as the anchors. The
    encoder's features are used, not the projection head's: the encoder is
    what every checkpoint format provides (a projection head is dropped by
    most conversions), and its cosine geometry is what the kNN evaluation
    of these checkpoints reads. For cosine logits the temperature is the
    pre-training's :math:`\tau` (:math:`T = 0.2`: MoCo v2's, and the demo's
    SimCLR), not tllib's :math:`T = 3`, which scales class logits in the
    tens.

    The teacher runs on the same (augmented) batch as the student, in eval
    mode, every step; tllib records the teacher's outputs once before
    training, on one augmented view of each image, and reuses them with
    other views. :math:`\lambda` = ``loss_weight`` = 4 (tllib's
    ``--trade-off``). Returns ``loss_lwf``.

    Args:
        loss_weight (float): :math:`\lambda`. Defaults to 4.0.
        temperature (float): :math:`T`. Defaults to 0.2.
        gather_distributed (bool): Use every GPU's batch as the anchors.
            Defaults to True.
    """

    def __init__(self,
                 loss_weight: float = 4.0,
                 temperature: float = 0.2,
                 gather_distributed: bool = True):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'LwFRegularizer: temperature must be > 0, got '
                             f'{temperature}')
        self.loss_weight = loss_weight
        self.temperature = temperature
        self.gather_distributed = gather_distributed

    def layers(self, model) -> List[str]:
        return ['']  # the backbone itself: its outputs

    def forward(self, model, fmaps, ref_fmaps) -> dict:
        z = F.normalize(pooled_features(model, fmaps['']), dim=1)
        with torch.no_grad():
            z0 = F.normalize(pooled_features(model, ref_fmaps['']), dim=1)
        anchors = gather_with_grad(z0) if self.gather_distributed else z0
        kd = lwf_kd(z @ anchors.t(), z0 @ anchors.t(), self.temperature)
        return dict(loss_lwf=self.loss_weight * kd)


def lwf_kd(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
           temperature: float) -> torch.Tensor:
    r""":math:`\frac1B \sum_i \mathrm{KL}(\mathrm{softmax}(t_i/T) \|
    \mathrm{softmax}(s_i/T))`, tllib's ``KnowledgeDistillationLoss``."""
    log_p = F.log_softmax(student_logits / temperature, dim=1)
    log_q = F.log_softmax(teacher_logits.detach() / temperature, dim=1)
    return F.kl_div(log_p, log_q, reduction='batchmean', log_target=True)
