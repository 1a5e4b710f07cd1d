import math
from typing import Sequence

import torch.nn as nn
from mmengine.model import BaseModule

from mmctune.registry import MODELS


@MODELS.register_module()
class MLPProjector(BaseModule):
    """Core-tuning's projector :math:`G_c`: an MLP with ReLU between layers,
    2048 -> 2048 -> 256 by default (paper appendix E.1 varies depth and
    width). The output is not normalised here; the head normalises it.

    Args:
        in_channels (int): Input features. Defaults to 2048.
        hid_channels (int): Width of the hidden layers. Defaults to 2048.
        out_channels (int): Output features. Defaults to 256.
        num_layers (int): Linear layers, >= 1. Defaults to 2.
        init_cfg (dict): PyTorch's default initialisation of ``nn.Linear``
            weights, stated so that a head's own ``init_cfg`` (e.g.
            ``LinearClsHead``'s N(0, 0.01) for its classifier) is not the
            projector's: mmengine initialises children after their parent.
    """

    def __init__(self,
                 in_channels: int = 2048,
                 hid_channels: int = 2048,
                 out_channels: int = 256,
                 num_layers: int = 2,
                 init_cfg=dict(
                     type='Kaiming',
                     layer='Linear',
                     a=math.sqrt(5),
                     mode='fan_in',
                     nonlinearity='leaky_relu',
                     distribution='uniform')):
        super().__init__(init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        dims: Sequence[int] = [
            in_channels
        ] + [hid_channels] * (num_layers - 1) + [out_channels]
        layers = []
        for i in range(num_layers):
            layers.append(nn.Linear(dims[i], dims[i + 1]))
            if i < num_layers - 1:
                layers.append(nn.ReLU(inplace=True))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x):
        return self.mlp(x)
