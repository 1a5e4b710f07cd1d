"""One protocol for what a method prepares outside its training steps, so
that tools handle every method's preparation without knowing the method."""
import copy
from typing import List, Optional, Tuple

from mmengine.hooks import Hook

from mmctune.registry import HOOKS
from mmctune.utils import unwrap_model
from .random_state_hook import get_rng_state, set_rng_state


class PrepareHook(Hook):
    """Base of the hooks that prepare the model with something that is not
    a training step: DELTA's channel attention, Co-Tuning's category
    relationship and Noisy-Tune's noise (once per run, before training:
    :class:`PrepareOnceHook`), HCSC's clustering (before every epoch from
    its warm-up) and RIFLE's re-initialisation (before the epochs of its
    schedule).

    What the tools call, for any method (through :func:`prepare_hooks`,
    :func:`fit_preparations` and :func:`mark_prepared`):

    - :meth:`fit_to_images` (on configs): fit the preparation's sizes to a
      training set of ``images`` images (``tools/train.py --smoke``);
    - :meth:`mark_prepared` (on a built model): the state the preparation
      leaves, without reading data (``step_time.py`` times training steps,
      not the preparation).

    A preparation redone during training (HCSC, RIFLE) recomputes its state
    from the epoch, the weights and the seed, so that a resumed run
    recomputes the same state.
    """

    @classmethod
    def fit_to_images(cls, hook_cfg: dict, cfg, images: int) -> List[str]:
        """Change ``hook_cfg`` (this hook's entry of ``cfg.custom_hooks``)
        or ``cfg`` in place so that the preparation works on a training set
        of ``images`` images. Returns notes for the log (what changed).
        Defaults to nothing to change."""
        return []

    def mark_prepared(self, model, num_images: Optional[int] = None) -> None:
        """Put ``model`` (unwrapped) in the state the preparation leaves,
        without data: values that data would decide are left as they are or
        drawn at random (a step takes the same time with them).
        ``num_images``: the training images the state is for, where its
        size depends on them. Defaults to nothing to mark (the state is the
        weights)."""


class PrepareOnceHook(PrepareHook):
    """A preparation done once per run, before training, whose state is in
    the checkpoint, so a resumed run keeps it and does not prepare again:
    :meth:`before_train` calls :meth:`prepare` unless :meth:`is_prepared`.

    Subclasses implement :meth:`is_prepared` and :meth:`prepare`, and
    :meth:`mark_prepared` when the state is more than the weights.

    The preparation leaves Python's, NumPy's and torch's global generators
    as it found them: what it draws (the crops and flips of the batches it
    reads, DELTA's) does not move the training's draws, so the run trains
    on the batches that a run without the preparation (CE-tuning's, at the
    same seed) trains on.
    """
    priority = 'LOW'

    def is_prepared(self, runner) -> bool:
        """Whether the model has the preparation's state already (e.g. from
        the checkpoint a resumed run loaded)."""
        raise NotImplementedError

    def prepare(self, runner) -> None:
        """Compute the preparation's state into the model."""
        raise NotImplementedError

    def before_train(self, runner) -> None:
        if self.is_prepared(runner):
            runner.logger.info(
                f'{type(self).__name__}: the model has its preparation '
                'already (a resumed run: from the checkpoint); not prepared '
                'again')
            return
        state = get_rng_state()
        try:
            self.prepare(runner)
        finally:
            set_rng_state(state)

    @staticmethod
    def model_of(runner):
        """The runner's model, unwrapped."""
        return unwrap_model(runner.model)


def prepare_hooks(cfg) -> List[Tuple[dict, type]]:
    """``(entry, class)`` of every :class:`PrepareHook` among the config's
    ``custom_hooks`` (the entries are the config's own, not copies)."""
    from mmengine.registry import DefaultScope
    out = []
    with DefaultScope.overwrite_default_scope('mmctune'):
        for entry in cfg.get('custom_hooks') or []:
            if not isinstance(entry, dict):
                continue
            cls = entry.get('type')
            if isinstance(cls, str):
                cls = HOOKS.get(cls)
            if isinstance(cls, type) and issubclass(cls, PrepareHook):
                out.append((entry, cls))
    return out


def fit_preparations(cfg, images: int) -> List[str]:
    """Fit every preparation of ``cfg`` to ``images`` training images, in
    place (:meth:`PrepareHook.fit_to_images`). Returns the notes."""
    notes = []
    for entry, cls in prepare_hooks(cfg):
        notes += cls.fit_to_images(entry, cfg, images)
    return notes


def mark_prepared(cfg, model, num_images: Optional[int] = None) -> List[str]:
    """Mark ``model`` (built from ``cfg``) prepared by every preparation of
    ``cfg`` (:meth:`PrepareHook.mark_prepared`), without data. Returns the
    hooks' names."""
    from mmengine.registry import DefaultScope
    names = []
    model = unwrap_model(model)
    with DefaultScope.overwrite_default_scope('mmctune'):
        for entry, _ in prepare_hooks(cfg):
            hook = HOOKS.build(copy.deepcopy(dict(entry)))
            hook.mark_prepared(model, num_images)
            names.append(type(hook).__name__)
    return names
