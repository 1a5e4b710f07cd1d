from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop

from mmctune.registry import HOOKS


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


def _get(model, path: str):
    for part in path.split('.') if path else []:
        model = getattr(model, part)
    return model


@HOOKS.register_module()
class StageSwitchHook(Hook):
    """Set attributes of a sub-module by training stage: ``before`` for the
    epochs ``< switch_epoch``, ``after`` from then on, in the spirit of
    mmpretrain's ``SwitchRecipeHook``. The stage is set before every epoch
    from the epoch number alone (idempotent), so a run resumed past the
    switch lands in the right stage.

    COIN (contrastive initialisation) is ``switch_ratio=alpha`` with
    ``before=dict(train_classifier=False, con_weight=1.0)`` (SupCon only,
    classifier untouched) and ``after=dict(train_classifier=True,
    con_weight=0.1)`` (CE + 0.1 SupCon) on a ``ContrastiveClsHead``.

    Args:
        before (dict): Attribute values of the first stage.
        after (dict): Attribute values of the second stage.
        switch_epoch (int, optional): First epoch of the second stage.
        switch_ratio (float, optional): Or that epoch as a fraction
            ``alpha`` of ``max_epochs``: ``round(alpha * max_epochs)``.
        module (str): Dotted path of the sub-module in the model. Defaults
            to ``'head'``.
    """
    priority = 'NORMAL'

    def __init__(self,
                 before: dict,
                 after: dict,
                 switch_epoch: Optional[int] = None,
                 switch_ratio: Optional[float] = None,
                 module: str = 'head'):
        if (switch_epoch is None) == (switch_ratio is None):
            raise ValueError('StageSwitchHook: give exactly one of '
                             'switch_epoch and switch_ratio')
        if switch_ratio is not None and not 0 <= switch_ratio <= 1:
            raise ValueError(f'switch_ratio must be in [0, 1], got '
                             f'{switch_ratio}')
        if set(before) != set(after):
            raise ValueError(f'StageSwitchHook: both stages must set the '
                             f'same attributes, got {sorted(before)} and '
                             f'{sorted(after)}')
        self.before = before
        self.after = after
        self.switch_epoch = switch_epoch
        self.switch_ratio = switch_ratio
        self.module = module

    def _switch(self, runner) -> int:
        if self.switch_epoch is not None:
            return self.switch_epoch
        return round(self.switch_ratio * runner.max_epochs)

    def before_train(self, runner) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError('StageSwitchHook switches by epoch: use an '
                            'epoch-based train loop (train_cfg by_epoch=True)')
        target = _get(_unwrap(runner.model), self.module)
        missing = [k for k in self.before if not hasattr(target, k)]
        if missing:
            raise AttributeError(
                f'StageSwitchHook: {type(target).__name__} at '
                f'{self.module!r} has no attribute(s) {missing}')
        switch = self._switch(runner)
        never = ('second', self.after) if switch >= runner.max_epochs else (
            ('first', self.before) if switch <= 0 else None)
        if never:  # e.g. COIN's classifier would never be trained
            runner.logger.warning(
                f'StageSwitchHook: the {never[0]} stage never runs (switch '
                f'at epoch {switch} of {runner.max_epochs}), so {never[1]} '
                'is never set; train for more epochs or change '
                'switch_epoch / switch_ratio')

    def before_train_epoch(self, runner) -> None:
        stage = self.before if runner.epoch < self._switch(runner) \
            else self.after
        target = _get(_unwrap(runner.model), self.module)
        changed = {k: v for k, v in stage.items() if getattr(target, k) != v}
        for key, value in changed.items():
            setattr(target, key, value)
        if changed:
            runner.logger.info(f'epoch {runner.epoch}: {self.module} set to '
                               f'{changed}')
