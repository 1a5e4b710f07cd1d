"""Crash-safe checkpoint writes and the checkpoint ``--resume`` picks (the
end-to-end kill-while-saving run is in tests/test_tools/
test_resume_exact.py)."""
import os
import os.path as osp

import pytest
import torch

from mmctune.engine.hooks import (AtomicCheckpointHook, atomic_write,
                                  find_resume_checkpoint)
from mmctune.engine.hooks.checkpoint_hook import is_whole_checkpoint


def test_a_write_that_dies_leaves_the_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / 'epoch_1.pth')
    atomic_write(b'old', path)

    def crash(*args):
        raise KeyboardInterrupt  # dies after the bytes, before the rename

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(b'new and longer', path)
    monkeypatch.undo()
    with open(path, 'rb') as f:
        assert f.read() == b'old'
    atomic_write('new', path)  # the leftover .tmp is simply overwritten
    with open(path) as f:
        assert f.read() == 'new'
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth']


def test_the_hook_writes_through_the_atomic_backend():
    assert AtomicCheckpointHook(interval=1).backend_args == dict(
        backend='local_atomic')
    # another storage keeps its own backend
    hook = AtomicCheckpointHook(
        interval=1, out_dir='s3://bucket/run', backend_args=None)
    assert hook.backend_args is None


def checkpoint(path):
    torch.save({'state_dict': {'w': torch.arange(1000.)}}, path)
    return path


def test_whole_and_truncated_checkpoints(tmp_path):
    whole = checkpoint(str(tmp_path / 'a.pth'))
    assert is_whole_checkpoint(whole)
    data = open(whole, 'rb').read()
    cut = str(tmp_path / 'cut.pth')
    with open(cut, 'wb') as f:
        f.write(data[:len(data) // 2])
    assert not is_whole_checkpoint(cut)
    flipped = bytearray(data)
    i = data.index(torch.arange(1000.).numpy().tobytes()[:64]) + 100
    flipped[i] ^= 0xFF  # one corrupt byte in the tensor data: CRC fails
    bad = str(tmp_path / 'bad.pth')
    with open(bad, 'wb') as f:
        f.write(bytes(flipped))
    assert not is_whole_checkpoint(bad)
    legacy = str(tmp_path / 'legacy.pth')
    torch.save({'w': torch.ones(2)},
               legacy,
               _use_new_zipfile_serialization=False)
    assert is_whole_checkpoint(legacy)  # torch.load judges those


def test_find_resume_checkpoint(tmp_path):
    work = str(tmp_path)
    with pytest.raises(
            FileNotFoundError,
            match='no checkpoint to resume from in the work '
            'directory'):
        find_resume_checkpoint(work)
    ckpt = checkpoint(osp.join(work, 'epoch_2.pth'))
    atomic_write(ckpt, osp.join(work, 'last_checkpoint'))
    assert find_resume_checkpoint(work) == ckpt

    with open(ckpt, 'r+b') as f:  # cut by a writer that is not atomic
        f.truncate(100)
    with pytest.raises(RuntimeError, match='epoch_2.pth is truncated'):
        find_resume_checkpoint(work)
    os.remove(ckpt)
    with pytest.raises(FileNotFoundError, match='which does not exist'):
        find_resume_checkpoint(work)
