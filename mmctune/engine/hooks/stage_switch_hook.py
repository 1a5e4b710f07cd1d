from numbers import Integral, Real
from typing import Any, Dict, List, Sequence, Tuple, Union

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from mmctune.registry import HOOKS
from mmctune.utils import unwrap_model


def get_path(obj, path: str) -> Any:
    """``obj.a.b.c`` for ``path='a.b.c'`` (``''``: ``obj`` itself).
    Sub-modules of ``nn.ModuleList`` / ``ModuleDict`` are reached by index or
    key like attributes (``'head.feature_losses.loss_bss.loss_weight'``)."""
    for part in path.split('.') if path else []:
        obj = getattr(obj, part)
    return obj


def _parent(model, path: str, hook: str) -> Tuple[Any, str]:
    """The object that holds the last attribute of ``path``, and its name;
    an error that names the path when any part of it is missing."""
    parts = path.split('.')
    obj = model
    for i, part in enumerate(parts):
        if (i == len(parts) - 1 and part == 'requires_grad'
                and isinstance(obj, nn.Module)):
            break  # a module's parameters, see _get / _set
        if not hasattr(obj, part):
            where = repr('.'.join(parts[:i])) if i else 'the model'
            raise AttributeError(
                f'{hook}: {path!r} does not name an attribute of the model: '
                f'{type(obj).__name__} at {where} has no attribute {part!r}')
        if i < len(parts) - 1:
            obj = getattr(obj, part)
    return obj, parts[-1]


def _get(obj, attr: str) -> Any:
    if attr == 'requires_grad' and isinstance(obj, nn.Module):
        return all(p.requires_grad for p in obj.parameters())
    return getattr(obj, attr)


def _set(obj, attr: str, value: Any) -> None:
    if attr == 'requires_grad' and isinstance(obj, nn.Module):
        obj.requires_grad_(value)  # every parameter of the module
    else:
        setattr(obj, attr, value)


@HOOKS.register_module()
class StageSwitchHook(Hook):
    """Set attributes of the model by training stage: a schedule of
    ``(start, {dotted.path: value})`` stages, in the spirit of mmpretrain's
    ``SwitchRecipeHook``.

    The model as the config builds it is the state before the first stage;
    from its ``start`` on, each stage sets its attributes, and the state of
    epoch ``e`` is the config's values updated by every stage that has
    started (``start <= e``), in order. It is computed from the epoch alone
    before every epoch (idempotent), so a run resumed in any stage lands in
    that stage's state: attributes are not in checkpoints, the rebuilt model
    holds the config's values, and the hook sets the rest.

    ``start`` is an epoch (an ``int``) or a fraction of ``max_epochs`` (a
    ``float`` in [0, 1]: epoch ``round(start * max_epochs)``). A path starts
    at the model (unwrapped) and may name any attribute of any sub-module:
    ``'head.train_classifier'``, ``'head.con_loss.loss_weight'``,
    ``'backbone.norm_eval'``. ``'<module path>.requires_grad'`` sets
    ``requires_grad`` of every parameter of that module (``True`` when all
    have it), so LP-FT (a linear probe, then full fine-tuning) is a config
    (the model index's LP-FT configs). An unknown path is an error before
    the first epoch.

    Examples:
        COIN (the model index's COIN configs): the head is built
        as stage 1 (``train_classifier=False``, SupCon weight 1), and from
        ``0.7 * max_epochs`` on it trains CE + 0.1 SupCon::

            dict(type='StageSwitchHook', stages=[
                (0.7, {'head.train_classifier': True,
                       'head.con_loss.loss_weight': 0.1})])

        Any number of stages, e.g. a warm-up without the contrastive term::

            dict(type='StageSwitchHook', stages=[
                (0, {'head.con_loss.loss_weight': 0.0}),
                (5, {'head.con_loss.loss_weight': 0.1}),
                (0.8, {'head.con_loss.loss_weight': 0.01})])

    Args:
        stages (Sequence[tuple]): ``(start, {path: value})`` pairs, in order
            of their start.
    """
    priority = 'NORMAL'

    def __init__(self, stages: Sequence[Tuple[Union[int, float], Dict[str,
                                                                      Any]]]):
        self.stages: List[Tuple[Union[int, float], Dict[str, Any]]] = []
        for i, stage in enumerate(stages):
            if not (isinstance(stage, (tuple, list)) and len(stage) == 2
                    and isinstance(stage[1], dict) and stage[1]):
                raise ValueError(f'StageSwitchHook: stage {i} must be (start, '
                                 f'{{path: value, ...}}), got {stage!r}')
            start, values = stage
            bad = [p for p in values if not isinstance(p, str) or not p]
            if bad:
                raise ValueError(f'StageSwitchHook: stage {i} sets {bad}; '
                                 "name attributes by dotted path, e.g. "
                                 "'head.train_classifier'")
            if isinstance(start, bool) or not isinstance(start, Real):
                raise ValueError(f'StageSwitchHook: stage {i} starts at '
                                 f'{start!r}, not an epoch or a ratio')
            if isinstance(start, Integral) and start < 0:
                raise ValueError(f'StageSwitchHook: stage {i} starts at '
                                 f'epoch {start} < 0')
            if not isinstance(start, Integral) and not 0 <= start <= 1:
                raise ValueError(
                    f'StageSwitchHook: stage {i} starts at ratio {start} '
                    'of max_epochs, outside [0, 1] (an epoch is an int)')
            self.stages.append((start, dict(values)))
        if not self.stages:
            raise ValueError('StageSwitchHook: no stages')
        self._initial: Dict[str, Any] = {}

    @property
    def paths(self) -> List[str]:
        """Every path some stage sets, in order of first appearance."""
        return list(dict.fromkeys(p for _, v in self.stages for p in v))

    def start_epochs(self, max_epochs: int) -> List[int]:
        """The epoch each stage starts at."""
        return [
            int(s) if isinstance(s, Integral) else round(s * max_epochs)
            for s, _ in self.stages
        ]

    def state(self, epoch: int, max_epochs: int) -> Dict[str, Any]:
        """``{path: value}`` of ``epoch`` over the config's values (the
        values seen at ``before_train``)."""
        state = dict(self._initial)
        for start, (_,
                    values) in zip(self.start_epochs(max_epochs), self.stages):
            if start <= epoch:
                state.update(values)
        return state

    def before_train(self, runner) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError('StageSwitchHook switches by epoch: use an '
                            'epoch-based train loop (train_cfg by_epoch=True)')
        starts = self.start_epochs(runner.max_epochs)
        if starts != sorted(starts):
            raise ValueError(f'StageSwitchHook: the stages start at epochs '
                             f'{starts}, not in order')
        model = unwrap_model(runner.model)
        # the model as built: the state before the first stage
        self._initial = {}
        for path in self.paths:
            obj, attr = _parent(model, path, 'StageSwitchHook')
            self._initial[path] = _get(obj, attr)
        for i, (start, (_, values)) in enumerate(zip(starts, self.stages)):
            if start >= runner.max_epochs:  # e.g. COIN for 1 epoch
                runner.logger.warning(
                    f'StageSwitchHook: stage {i} never runs (it starts at '
                    f'epoch {start} of {runner.max_epochs}), so {values} is '
                    'never set; train for more epochs or start it earlier')

    def before_train_epoch(self, runner) -> None:
        model = unwrap_model(runner.model)
        changed = {}
        for path, value in self.state(runner.epoch, runner.max_epochs).items():
            obj, attr = _parent(model, path, 'StageSwitchHook')
            if _get(obj, attr) != value:
                _set(obj, attr, value)
                changed[path] = value
        if changed:
            runner.logger.info(f'epoch {runner.epoch}: set {changed}')
