from typing import Optional

from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmctune.registry import MODELS
from mmctune.utils import register_all_modules
from mmctune.utils.cfg_check import check_cfg_options


def init_model(config, checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None):
    """Build the model of a config and load a checkpoint the toolbox wrote
    for it, strictly (every key must fit). Returns ``(model, cfg)``; the
    model is in eval mode."""
    register_all_modules()
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    model_cfg = cfg.model.copy()
    if checkpoint is not None:  # the checkpoint replaces pre-training
        model_cfg.get('backbone', {}).pop('init_cfg', None)
    if 'data_preprocessor' not in model_cfg and 'data_preprocessor' in cfg:
        model_cfg.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    model.to(device)
    model.eval()
    return model, cfg
