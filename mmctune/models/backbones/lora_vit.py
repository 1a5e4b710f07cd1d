"""LoRA: a frozen ViT whose linear layers learn low-rank updates."""
import math
import re
from typing import Sequence

import torch
import torch.nn.functional as F
from mmpretrain.models.backbones import VisionTransformer
from torch import nn

from mmctune.registry import MODELS


class LoRALinear(nn.Linear):
    r"""A linear layer with a low-rank update (LoRA):
    :math:`y = W_0 x + b + \frac{\alpha}{r} B A\,\mathrm{dropout}(x)`, with
    :math:`A \in \mathbb{R}^{r \times d_{in}}` initialised as
    ``nn.Linear``'s weight (Kaiming-uniform, as loralib and mmpretrain's
    ``LoRALinear``) and :math:`B \in \mathbb{R}^{d_{out} \times r}` at zero,
    so the layer starts as ``linear``.

    It keeps ``linear``'s ``weight`` and ``bias`` (the same parameters,
    under the same names), so a checkpoint of the plain network loads into
    it unchanged; :math:`A` and :math:`B` are the parameters ``lora_down``
    and ``lora_up`` (plain parameters, not ``nn.Linear`` modules, so that
    an initialisation of a network's linear layers never reaches them).
    """

    def __init__(self,
                 linear: nn.Linear,
                 rank: int,
                 alpha: float,
                 drop_rate: float = 0.):
        nn.Module.__init__(self)
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        self.weight = linear.weight
        self.bias = linear.bias
        self.rank = rank
        self.scaling = alpha / rank
        weight = linear.weight
        self.lora_down = nn.Parameter(weight.new_empty(rank, self.in_features))
        self.lora_up = nn.Parameter(weight.new_zeros(self.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_down, a=math.sqrt(5))
        self.lora_dropout = nn.Dropout(drop_rate)

    def forward(self, x):
        update = F.linear(
            F.linear(self.lora_dropout(x), self.lora_down), self.lora_up)
        return F.linear(x, self.weight, self.bias) + self.scaling * update

    def extra_repr(self):
        return super().extra_repr() + (f', rank={self.rank}, '
                                       f'scaling={self.scaling:g}')


@MODELS.register_module()
class LoRAViT(VisionTransformer):
    r"""LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language
    Models", ICLR 2022) on mmpretrain's ``VisionTransformer``: each linear
    layer named by ``targets`` becomes :math:`W_0 x + \frac{\alpha}{r} B A x`
    (:class:`LoRALinear`), the pre-trained weights are frozen, and only
    :math:`A`, :math:`B` (and the head) train.

    mmpretrain's ``LoRAModel`` does the same around any module; this
    backbone differs where a fine-tuning run needs it to:

    - the ViT's ``init_cfg`` stays at ``model.backbone.init_cfg``, so the
      strict ``Pretrained`` initialiser loads a plain ViT checkpoint into it
      (the LoRA parameters are reported as new, ``new_parameters``), and
      ``--cfg-options model.backbone.init_cfg.checkpoint=PATH`` points it at
      another file, as for every other backbone;
    - its ``state_dict`` is whole (``LoRAModel``'s keeps only the LoRA
      parameters and ignores every other missing key on loading), so a
      checkpoint is a model by itself and loads strictly;
    - a target that matches no linear layer is refused, each on its own.

    The LoRA paper adapts the attention's query and value projections
    (Sec. 7.1); mmpretrain's ViT computes query, key and value with one
    linear layer, ``qkv``, so ``targets=('qkv', )`` (the default) adapts the
    three with one rank-``r`` update of that matrix.

    Args:
        lora_rank (int): The rank :math:`r`. Defaults to 4.
        lora_alpha (float): :math:`\alpha` (the update is scaled by
            :math:`\alpha / r`). Defaults to 4.
        lora_dropout (float): Dropout on the LoRA branch's input. Defaults
            to 0.
        targets (Sequence[str]): Linear layers to adapt, each a regular
            expression of the full module name (``layers\.\d+\.attn\.qkv``)
            or its suffix (``qkv``, ``attn.proj``, ``ffn.layers.1``), as in
            ``LoRAModel``. Defaults to ``('qkv', )``.
        freeze_backbone (bool): Freeze every parameter but the LoRA ones.
            Defaults to True.
        **kwargs: ``VisionTransformer``'s arguments.
    """

    def __init__(self,
                 lora_rank: int = 4,
                 lora_alpha: float = 4.,
                 lora_dropout: float = 0.,
                 targets: Sequence[str] = ('qkv', ),
                 freeze_backbone: bool = True,
                 **kwargs):
        if int(lora_rank) < 1:
            raise ValueError(f'lora_rank must be 1 or more, got {lora_rank}')
        if isinstance(targets, str) or not targets:
            raise ValueError('targets: a non-empty list of layer names, e.g. '
                             f"['qkv'], got {targets!r}")
        super().__init__(**kwargs)
        linears = [
            name for name, m in self.named_modules()
            if isinstance(m, nn.Linear)
        ]
        adapted = []
        for target in targets:
            names = [
                n for n in linears
                if re.fullmatch(target, n) or n.endswith('.' + target)
            ]
            if not names:
                raise ValueError(
                    f'LoRA target {target!r} matches no linear layer of the '
                    f'ViT; its linear layers are named like '
                    f'{", ".join(linears[:6])}')
            adapted += [n for n in names if n not in adapted]
        for name in adapted:
            parent, _, child = name.rpartition('.')
            owner = self.get_submodule(parent)
            setattr(
                owner, child,
                LoRALinear(
                    getattr(owner, child), int(lora_rank), lora_alpha,
                    lora_dropout))
        self.adapted = tuple(adapted)
        # the parameter names a pre-trained ViT's checkpoint does not have
        self.new_parameters = tuple(f'{n}.{p}' for n in adapted
                                    for p in ('lora_down', 'lora_up'))
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            for name, param in self.named_parameters():
                param.requires_grad = name in self.new_parameters

    def lora_parameters(self):
        """The LoRA parameters, name -> tensor."""
        params = dict(self.named_parameters())
        return {n: params[n] for n in self.new_parameters}

    @torch.no_grad()
    def merged_state_dict(self):
        """The plain ViT's ``state_dict`` with each update merged into its
        weight (:math:`W_0 + \\frac{\\alpha}{r} B A`): a checkpoint for a
        ``VisionTransformer`` of the same arch, at no extra cost per
        step."""
        sd = {
            k: v.clone()
            for k, v in self.state_dict().items()
            if k not in self.new_parameters
        }
        for name in self.adapted:
            m = self.get_submodule(name)
            sd[f'{name}.weight'] += m.scaling * m.lora_up @ m.lora_down
        return sd
