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


def test_an_empty_record_resumes_from_the_newest_whole_checkpoint(tmp_path):
    work = str(tmp_path)
    old = checkpoint(osp.join(work, 'epoch_1.pth'))
    new = checkpoint(osp.join(work, 'epoch_2.pth'))
    os.utime(old, (1, 1))
    cut = osp.join(work, 'epoch_3.pth')  # newest, but truncated
    with open(cut, 'wb') as f:
        f.write(open(new, 'rb').read()[:100])
    open(osp.join(work, 'last_checkpoint'), 'w').close()  # killed mid-write
    with pytest.warns(UserWarning, match='is empty'):
        assert find_resume_checkpoint(work) == new


def test_outdated_checkpoints_deleted_after_the_new_one(tmp_path):
    """max_keep_ckpts=1 on a real Runner: each epoch's checkpoint and
    last_checkpoint are in place before the previous checkpoint goes, and a
    resumed run deletes what the first one kept."""
    import torch.nn as nn
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Tiny(BaseModel):

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = self.fc(inputs)
            return dict(loss=out.pow(2).mean()) if mode == 'loss' else out

    seen = []

    class Spy(AtomicCheckpointHook):

        def _after_periodic_save(self, runner, before):
            # the new checkpoint is whole before anything is deleted
            if self._last(runner) != before:
                seen.append(
                    sorted(
                        f for f in os.listdir(runner.work_dir)
                        if f.endswith('.pth')))
            super()._after_periodic_save(runner, before)

    def run(epochs, **kw):
        return Runner(
            model=Tiny(),
            work_dir=str(tmp_path),
            train_dataloader=dict(
                dataset=[dict(inputs=torch.ones(2))] * 4,
                batch_size=2,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='default_collate')),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            train_cfg=dict(by_epoch=True, max_epochs=epochs),
            default_hooks=dict(checkpoint=Spy(interval=1, max_keep_ckpts=1)),
            **kw)

    run(2).train()
    assert seen == [['epoch_1.pth'], ['epoch_1.pth', 'epoch_2.pth']]
    pths = sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth'))
    assert pths == ['epoch_2.pth']
    assert find_resume_checkpoint(str(tmp_path)).endswith('epoch_2.pth')
    run(3, resume=True).train()
    pths = sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth'))
    assert pths == ['epoch_3.pth']
