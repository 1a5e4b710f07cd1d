"""Checkpoints that a crash cannot leave half-written, and the checkpoint
``--resume`` starts from."""
import os
import os.path as osp
import zipfile
from collections import deque
from typing import Optional, Union

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook

from mmctune.registry import HOOKS


def atomic_write(data: Union[bytes, str], filepath: str) -> None:
    """Write ``data`` to ``filepath`` so that a crash at any moment leaves
    either the old file or the whole new one, never part of it: the bytes go
    to ``filepath + '.tmp'``, are flushed to disk, and the temporary file is
    renamed over ``filepath`` (one atomic step on POSIX and Windows)."""
    os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)
    tmp = f'{filepath}.tmp'
    with open(tmp, 'wb') as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, filepath)


@register_backend('local_atomic')
class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` whose writes (``put``, ``put_text``) are
    atomic: see :func:`atomic_write`. Select it with
    ``backend_args=dict(backend='local_atomic')``."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write(obj, str(filepath))

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write(obj.encode(encoding), str(filepath))


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` made crash-safe, the checkpoint hook of
    every mmctune config.

    mmengine writes a checkpoint in place, deletes the outdated one
    (``max_keep_ckpts``) *before* writing the new one, and rewrites
    ``last_checkpoint`` in place; a run killed while saving can lose its only
    resumable checkpoint or leave ``last_checkpoint`` empty. Here:

    - checkpoints (periodic and best) and ``last_checkpoint`` are written to a
      temporary file and renamed into place (:func:`atomic_write`), so a file
      with a checkpoint's name is always whole;
    - ``last_checkpoint`` names the new checkpoint only once it is in place;
    - the outdated checkpoint is deleted only after that.

    Arguments are those of ``CheckpointHook``. Outside a local ``out_dir``
    (``backend_args`` naming another storage) writes are the backend's own.
    """

    def __init__(self, *args, backend_args: Optional[dict] = None, **kwargs):
        out_dir = str(kwargs.get('out_dir') or '')
        if (backend_args is None and '://' not in out_dir
                and kwargs.get('file_client_args') is None):
            backend_args = dict(backend='local_atomic')
        super().__init__(*args, backend_args=backend_args, **kwargs)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self.max_keep_ckpts > 0:
            # mmengine bounds the deque by max_keep_ckpts, which would drop
            # the outdated id (unremoved) when the new one is appended
            self.keep_ckpt_ids = deque(self.keep_ckpt_ids)

    def _save_checkpoint_with_step(self, runner, step, meta):
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)

        outdated = []
        if self.max_keep_ckpts > 0:
            # _save_checkpoint and _save_best_checkpoint may both save a step
            if not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
                self.keep_ckpt_ids.append(step)
            while len(self.keep_ckpt_ids) > self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        if not is_main_process():
            return
        atomic_write(self.last_ckpt,
                     osp.join(runner.work_dir, 'last_checkpoint'))
        for old in outdated:
            path = self.file_backend.join_path(self.out_dir,
                                               self.filename_tmpl.format(old))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # deepspeed saves folders
                self.file_backend.rmtree(path)


def is_whole_checkpoint(path: str) -> bool:
    """Whether ``path`` is a complete checkpoint: a directory (checkpoints of
    sharded strategies), or a zip archive (torch's format since 1.6) whose
    members all pass their CRC check. A file that is not a zip archive at
    all (torch's legacy format) is left to ``torch.load`` to judge."""
    if osp.isdir(path):
        return True
    try:
        with open(path, 'rb') as f:
            if f.read(4) != b'PK\x03\x04':
                return True
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def find_resume_checkpoint(work_dir: str) -> str:
    """The checkpoint ``--resume`` (without a path) starts from: the one
    ``last_checkpoint`` in ``work_dir`` names.

    Raises:
        FileNotFoundError: if ``work_dir`` has no ``last_checkpoint`` (no
            checkpoint was ever saved there), or the file it names is gone.
        RuntimeError: if that file is not a whole checkpoint (written by
            a crashed writer other than :class:`AtomicCheckpointHook`).
    """
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        raise FileNotFoundError(
            f'--resume: no checkpoint to resume from in the work directory '
            f'{work_dir} (it has no last_checkpoint file); run without '
            f'--resume to start, or give --resume a checkpoint path')
    with open(record) as f:
        path = f.read().strip()
    if not path or not osp.exists(path):
        raise FileNotFoundError(
            f'--resume: {record} names the checkpoint {path!r}, which does '
            f'not exist; give --resume the checkpoint to start from')
    if not is_whole_checkpoint(path):
        raise RuntimeError(
            f'--resume: the checkpoint {path} is truncated or corrupt; give '
            f'--resume an earlier checkpoint')
    return path
