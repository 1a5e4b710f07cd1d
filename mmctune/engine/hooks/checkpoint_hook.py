"""Checkpoints that a crash cannot leave half-written, and the checkpoint
``--resume`` starts from."""
import glob
import os
import os.path as osp
import re
import warnings
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
    resumable checkpoint. Here, through mmengine's public hook points only:

    - checkpoints (periodic and best) are written through the
      ``local_atomic`` file backend (:class:`AtomicLocalBackend`: a temporary
      file renamed into place), so a file with a checkpoint's name is always
      whole;
    - mmengine's own deletion is off (it runs with ``max_keep_ckpts=-1``);
      after each periodic save, ``last_checkpoint`` is rewritten atomically
      and only then are the checkpoints beyond ``max_keep_ckpts`` deleted
      (the list of kept ones is in the message hub, so a resumed run goes on
      deleting the right files);
    - mmengine still writes ``last_checkpoint`` in place just before; if a
      kill lands in that write and leaves it empty,
      :func:`find_resume_checkpoint` resumes from the newest whole
      checkpoint of the work dir.

    Arguments are those of ``CheckpointHook``. Outside a local ``out_dir``
    (``backend_args`` naming another storage) writes are the backend's own.
    """
    INFO_KEY = 'atomic_keep_ckpts'

    def __init__(self,
                 *args,
                 max_keep_ckpts: int = -1,
                 backend_args: Optional[dict] = None,
                 **kwargs):
        out_dir = str(kwargs.get('out_dir') or '')
        if (backend_args is None and '://' not in out_dir
                and kwargs.get('file_client_args') is None):
            backend_args = dict(backend='local_atomic')
        super().__init__(
            *args, max_keep_ckpts=-1, backend_args=backend_args, **kwargs)
        self.keep = max_keep_ckpts

    def before_train(self, runner) -> None:
        super().before_train(runner)
        self.kept = deque(runner.message_hub.get_info(self.INFO_KEY, []))
        # a resumed run: the checkpoint it resumed from was saved before the
        # list in its message hub was updated
        last = self._last(runner)
        pattern = re.escape(self.filename_tmpl).replace(r'\{\}', r'\d+')
        if (self.keep > 0 and last and last not in self.kept
                and re.fullmatch(pattern, osp.basename(last))):
            self.kept.append(last)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        before = self._last(runner)
        super().after_train_iter(runner, batch_idx, data_batch, outputs)
        self._after_periodic_save(runner, before)

    def after_train_epoch(self, runner) -> None:
        before = self._last(runner)
        super().after_train_epoch(runner)
        self._after_periodic_save(runner, before)

    def after_val_epoch(self, runner, metrics) -> None:
        before = self._last(runner)
        super().after_val_epoch(runner, metrics)  # the best checkpoint
        if self._last(runner) != before and is_main_process():
            self._write_last_checkpoint(runner)

    @staticmethod
    def _last(runner):
        return runner.message_hub.get_info('last_ckpt')

    def _write_last_checkpoint(self, runner):
        atomic_write(
            self._last(runner), osp.join(runner.work_dir, 'last_checkpoint'))

    def _after_periodic_save(self, runner, before) -> None:
        last = self._last(runner)
        if last == before:
            return
        if self.keep > 0:
            self.kept.append(last)
        outdated = []
        while self.keep > 0 and len(self.kept) > self.keep:
            outdated.append(self.kept.popleft())
        runner.message_hub.update_info(self.INFO_KEY, list(self.kept))
        if not is_main_process():
            return
        self._write_last_checkpoint(runner)
        for path in outdated:
            if path == last:
                continue
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
    if not path:
        # killed while mmengine rewrote the record in place
        # (AtomicCheckpointHook rewrites it atomically right after)
        whole = [
            p for p in glob.glob(osp.join(work_dir, '*.pth'))
            if is_whole_checkpoint(p)
        ]
        if whole:
            path = max(whole, key=osp.getmtime)
            warnings.warn(f'--resume: {record} is empty; resuming from the '
                          f'newest whole checkpoint {path}')
    if not path or not osp.exists(path):
        raise FileNotFoundError(
            f'--resume: {record} names the checkpoint {path!r}, which does '
            f'not exist; give --resume the checkpoint to start from')
    if not is_whole_checkpoint(path):
        raise RuntimeError(
            f'--resume: the checkpoint {path} is truncated or corrupt; give '
            f'--resume an earlier checkpoint')
    return path
