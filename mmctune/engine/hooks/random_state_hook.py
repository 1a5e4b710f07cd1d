"""Random number generator states saved with checkpoints, so that a resumed
run draws the same random numbers as the uninterrupted one."""
import io
import os.path as osp
import random

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmctune.registry import HOOKS
from mmctune.utils import unwrap_model as _unwrap
from mmctune.utils.checkpoint import torch_load
from .checkpoint_hook import atomic_write


def get_rng_state() -> dict:
    """The states of Python's, NumPy's and torch's (CPU and every CUDA
    device's) global generators."""
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`get_rng_state` returned."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        cuda = state['cuda']
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda])


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the random generators' states with every checkpoint and restore
    them on ``--resume``; on by default in mmctune's configs.

    mmengine seeds the generators once, at the start of a run, and does not
    save their states: a run resumed at epoch ``e`` draws its augmentations,
    Core-tuning's mixing ratios, dropout masks... from a fresh seed, not from
    where the interrupted run was. This hook saves the states of Python's,
    NumPy's and torch's global generators, and of the model's modules that
    own generators (``get_rng_state`` / ``set_rng_state``: the pair miners):

    - in every checkpoint (``checkpoint['meta']['rng_state']``), as they are
      when it is saved;
    - if validation follows the save, once more after it, in
      ``<work_dir>/last_rng_state`` (beside ``last_checkpoint``), tagged
      with the checkpoint's run, epoch and iteration: validation draws
      random numbers too (each data loader iterator draws its base seed), so
      training continues from this state, not from the one saved in the
      checkpoint.

    On resume (not when ``load_from`` only loads weights) it restores the
    state that training continued from: ``last_rng_state`` if its tag is the
    checkpoint's, else the checkpoint's own. A fresh run draws exactly the
    numbers it would without the hook.

    The resume is then exact, in deterministic mode, if the data loader has
    no workers (its augmentations use this process's generators) or
    non-persistent ones (mmengine seeds each worker the same way every
    epoch). Persistent workers keep their generators across epochs in the
    uninterrupted run but start afresh in a resumed one; the hook warns
    about that when it resumes. mmengine saves checkpoints from the main
    process only, so every process restores its states: exact unless
    ``randomness.diff_rank_seed`` gives the processes different seeds.
    """
    priority = 'VERY_HIGH'
    filename = 'last_rng_state'

    def __init__(self):
        self._tag = None

    @staticmethod
    def _warn_persistent_workers(runner) -> None:
        loader = runner.train_dataloader
        if (getattr(loader, 'num_workers', 0) > 0
                and getattr(loader, 'persistent_workers', False)):
            runner.logger.warning(
                'RandomStateHook: the training data loader has persistent '
                'workers, whose random generators restart with this resumed '
                'run: its augmentations differ from an uninterrupted run. '
                'For an exact resume, train and resume with '
                '--no-persistent-workers (or num_workers=0).')

    @staticmethod
    def _owners(runner) -> dict:
        return {
            name: m
            for name, m in _unwrap(runner.model).named_modules()
            if callable(getattr(m, 'get_rng_state', None))
            and callable(getattr(m, 'set_rng_state', None))
        }

    def _state(self, runner) -> dict:
        state = get_rng_state()
        state['modules'] = {
            name: m.get_rng_state()
            for name, m in self._owners(runner).items()
        }
        return state

    @staticmethod
    def _tag_of(meta: dict) -> tuple:
        return (meta.get('experiment_name'), meta.get('epoch'),
                meta.get('iter'))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.setdefault('meta', {})
        meta['rng_state'] = self._state(runner)
        self._tag = self._tag_of(meta)

    def after_val(self, runner) -> None:
        if self._tag is None or not is_main_process():
            return
        buffer = io.BytesIO()
        torch.save(dict(tag=self._tag, state=self._state(runner)), buffer)
        atomic_write(buffer.getvalue(), osp.join(runner.work_dir,
                                                 self.filename))

    def before_train_epoch(self, runner) -> None:
        self._tag = None  # training went on: the next save sets it again

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._tag = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta', {})
        state = meta.get('rng_state')
        if not runner._resume or state is None:
            return
        self._warn_persistent_workers(runner)
        source = 'the checkpoint'
        path = osp.join(runner.work_dir, self.filename)
        if osp.isfile(path):
            after_val = torch_load(path)
            if tuple(after_val['tag']) == self._tag_of(meta):
                state, source = after_val['state'], path
        set_rng_state(state)
        owners = self._owners(runner)
        for name, module_state in state.get('modules', {}).items():
            if name in owners:
                owners[name].set_rng_state(module_state)
        runner.logger.info(f'RandomStateHook: random generator states '
                           f'restored from {source}')
