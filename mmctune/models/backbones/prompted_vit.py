"""Visual prompt tuning: a frozen ViT with learned prompt tokens."""
import math
from typing import Optional

import torch
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import resize_pos_embed, to_2tuple
from torch import nn

from mmctune.registry import MODELS


@MODELS.register_module()
class PromptedViT(VisionTransformer):
    r"""Visual Prompt Tuning (VPT; Jia et al., "Visual Prompt Tuning", ECCV
    2022; code KMnP/vpt): mmpretrain's ``VisionTransformer`` with
    ``num_prompts`` learned tokens inserted after the class token; the
    pre-trained weights are frozen and only the prompts (and the head) train.

    With :math:`E_0 = [x_{cls}; e_1, \dots, e_N]` the embedded image (class
    token, patch tokens, position embedding added) and :math:`L_i` the
    encoder's layers:

    - **VPT-shallow** (``deep=False``): one set of prompts :math:`P` enters
      the first layer, and its outputs move on like any token:
      :math:`[x_1; Z_1; E_1] = L_1([x_0; P; E_0])`,
      :math:`[x_i; Z_i; E_i] = L_i([x_{i-1}; Z_{i-1}; E_{i-1}])`.
    - **VPT-deep** (``deep=True``): each layer gets its own prompts
      :math:`P_{i-1}`, and the prompt outputs of the layer before are
      dropped: :math:`[x_i; \_; E_i] = L_i([x_{i-1}; P_{i-1}; E_{i-1}])`.

    The output (``out_type``) is taken with the prompt tokens removed: the
    class token (the paper's head input) or the patch tokens. As in the
    official code, prompts are initialised uniformly in
    :math:`\pm\sqrt{6 / (c p^2 + d)}` (Xavier's bound for the patch
    projection: :math:`c` input channels, the official code writes 3 for
    RGB; :math:`p` the patch size; :math:`d` the width), pass through a
    dropout (``prompt_dropout``; the code's default 0), and while training
    every module but that dropout stays in eval mode (no stochastic depth or
    dropout in the frozen network). In a pre-norm ViT (``pre_norm=True``)
    the prompts enter after that norm, where the first layer's input is.

    The prompts are not in a pre-trained ViT's checkpoint: the strict
    ``Pretrained`` initialiser (``mmctune.models.utils.Pretrained``) loads
    every other key of this backbone and reports the prompts as new
    (``new_parameters``).

    Args:
        num_prompts (int): Prompt tokens per layer (VPT-deep) or in all
            (VPT-shallow). The paper tunes it per task in {1, 5, 10, 50,
            100, 200}; the code's default is 5. Defaults to 5.
        deep (bool): VPT-deep instead of VPT-shallow. Defaults to False.
        prompt_dropout (float): Dropout on the prompts. Defaults to 0.
        freeze_backbone (bool): Freeze every parameter but the prompts (the
            paper's setting). Defaults to True.
        **kwargs: ``VisionTransformer``'s arguments (``arch``,
            ``patch_size``, ``init_cfg``, ...); the class token is needed.
    """

    # parameter names a pre-trained ViT's checkpoint does not have
    new_parameters = ('prompt', 'deep_prompts')

    def __init__(self,
                 num_prompts: int = 5,
                 deep: bool = False,
                 prompt_dropout: float = 0.,
                 freeze_backbone: bool = True,
                 in_channels: int = 3,
                 patch_size: int = 16,
                 **kwargs):
        if int(num_prompts) < 1:
            raise ValueError(f'num_prompts must be 1 or more, got '
                             f'{num_prompts}')
        if not kwargs.get('with_cls_token', True):
            raise ValueError('PromptedViT inserts its prompts after the '
                             'class token: with_cls_token must be True')
        super().__init__(
            in_channels=in_channels, patch_size=patch_size, **kwargs)
        self.num_prompts = int(num_prompts)
        self.deep = deep
        self.freeze_backbone = freeze_backbone
        ph, pw = to_2tuple(patch_size)
        bound = math.sqrt(6. / (in_channels * ph * pw + self.embed_dims))
        self.prompt = nn.Parameter(
            torch.empty(1, self.num_prompts,
                        self.embed_dims).uniform_(-bound, bound))
        self.deep_prompts: Optional[nn.Parameter] = None
        if deep:
            self.deep_prompts = nn.Parameter(
                torch.empty(self.num_layers - 1, self.num_prompts,
                            self.embed_dims).uniform_(-bound, bound))
        self.prompt_dropout = nn.Dropout(prompt_dropout)
        if freeze_backbone:
            for name, param in self.named_parameters():
                param.requires_grad = name in self.new_parameters

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.freeze_backbone:
            for module in self.children():
                if module is not self.prompt_dropout:
                    module.eval()
        return self

    def _with_prompts(self, x, prompts, replace):
        """``x`` with ``prompts`` after the class token: inserted, or in
        place of the prompt tokens it has (``replace``)."""
        prompts = self.prompt_dropout(prompts).expand(x.shape[0], -1, -1)
        start = 1 + self.num_prompts if replace else 1
        return torch.cat((x[:, :1], prompts, x[:, start:]), dim=1)

    def forward(self, x):
        B = x.shape[0]
        x, patch_resolution = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(B, -1, -1), x), dim=1)
        x = x + resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)
        x = self.pre_norm(self.drop_after_pos(x))
        x = self._with_prompts(x, self.prompt, replace=False)
        outs = []
        for i, layer in enumerate(self.layers):
            if self.deep and i > 0:
                x = self._with_prompts(
                    x, self.deep_prompts[i - 1:i], replace=True)
            x = layer(x)
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format_output(x, patch_resolution))
        return tuple(outs)

    def _format_output(self, x, hw):
        # the prompt tokens removed: the class token, then the patches
        x = torch.cat((x[:, :1], x[:, 1 + self.num_prompts:]), dim=1)
        return super()._format_output(x, hw)
