"""A config's model, built outside a Runner."""
import copy

import torch.nn as nn
from mmengine.config import Config, ConfigDict


def model_config(cfg, pretrained: bool = True) -> ConfigDict:
    """``cfg.model`` as the Runner builds it (a copy): with the config's
    top-level ``data_preprocessor`` where the model names none, and, unless
    ``pretrained``, without the backbone's pre-trained weights (its
    ``init_cfg``), e.g. for a Runner that loads a checkpoint after."""
    model = copy.deepcopy(cfg.get('model'))
    if not model:
        raise ValueError('the config has no model')
    model = ConfigDict(model)
    if 'data_preprocessor' not in model and cfg.get('data_preprocessor'):
        model.data_preprocessor = copy.deepcopy(cfg.get('data_preprocessor'))
    if not pretrained and isinstance(model.get('backbone'), dict):
        model.backbone.pop('init_cfg', None)
    return model


def build_model(cfg, pretrained: bool = False) -> nn.Module:
    """The model of a config (a ``Config`` or its path), built in mmctune's
    scope, on the CPU.

    Args:
        pretrained (bool): False (default): without its pre-trained weights
            and not initialised: its weights come from a checkpoint loaded
            after (:func:`mmctune.apis.init_model`, the analysis tools) or do
            not matter (a timing). True: initialised
            (``init_weights``), the backbone loading the pre-trained weights
            of its ``init_cfg`` (strictly; mmengine's report of every
            parameter is left out of the console).
    """
    from mmengine.registry import DefaultScope

    from mmctune.registry import MODELS
    from mmctune.utils import init_weights_quietly, register_all_modules
    if not isinstance(cfg, Config) and isinstance(cfg, str):
        cfg = Config.fromfile(cfg)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmctune'):
        model = MODELS.build(model_config(cfg, pretrained))
        if pretrained:
            init_weights_quietly(model)
    return model
