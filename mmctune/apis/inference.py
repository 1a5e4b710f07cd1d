from typing import Optional

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

from mmctune import compat
from mmctune.models.utils import (extract_state_dict, load_state_dict_strict,
                                  train_only_prefixes)
from mmctune.registry import MODELS
from mmctune.utils import register_all_modules, unwrap_model
from mmctune.utils.cfg_check import check_cfg_options


def load_model_checkpoint(model,
                          checkpoint: str,
                          backbone_only: bool = False,
                          for_prediction: bool = False) -> None:
    """Load a checkpoint into a model, strictly: every key of the model (or
    of its backbone) must be found with its shape, or
    ``CheckpointMismatchError`` names the missing ones; unused checkpoint
    keys are listed in the log.

    mmengine's Runner loads ``load_from`` non-strictly, so a checkpoint that
    does not fit would be tested as random weights; the tools call this
    instead.

    Args:
        backbone_only (bool): Load the checkpoint's ``backbone.`` weights
            into ``model.backbone``: for the encoder's features, from a
            fine-tuned classifier or a pre-training checkpoint (SimCLR,
            MoCo, ...) alike. The model's neck must hold no parameters.
        for_prediction (bool): The model will only predict (``tools/test.py``,
            :func:`init_model`): the parts it does not use to predict (its
            modules' ``TRAIN_ONLY``: a projector, a reference model, a
            momentum encoder) may be missing from the checkpoint, e.g. a
            CE-tuned checkpoint tested with a Core-tuning config. A missing
            key of the predicting parts means the checkpoint comes from
            another model: the error says to use that model's config.
    """
    model = unwrap_model(model)
    compat.apply_runtime_fixes()  # Runner checkpoints under torch >= 2.6
    ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    if backbone_only:
        neck = getattr(model, 'neck', None)
        if neck is not None and any(True for _ in neck.parameters()):
            raise ValueError(f'{type(neck).__name__} has parameters: load '
                             'the whole model, not the backbone only')
        load_state_dict_strict(
            model.backbone,
            extract_state_dict(ckpt, 'backbone.'),
            source=checkpoint)
    elif for_prediction:
        load_state_dict_strict(
            model,
            extract_state_dict(ckpt),
            source=checkpoint,
            may_miss=train_only_prefixes(model),
            hint='The checkpoint was trained with another model than this '
            'config builds: test it with the config it was trained with '
            '(its work dir holds a copy), or one whose backbone and head '
            'match it.')
    else:
        load_state_dict_strict(
            model, extract_state_dict(ckpt), source=checkpoint)
    print_log(
        f'loaded {"the backbone of " if backbone_only else ""}{checkpoint}',
        logger='current')


def init_model(config, checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None,
               backbone_only: bool = False):
    """Build the model of a config and load a checkpoint strictly (see
    :func:`load_model_checkpoint`). Returns ``(model, cfg)``; the model is
    in eval mode."""
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
        load_model_checkpoint(
            model, checkpoint, backbone_only, for_prediction=True)
    model.to(device)
    model.eval()
    return model, cfg
