"""mmctune.utils.checkpoint: checkpoints load with torch's weights_only
loader and mmctune's allow-list; a file that asks for anything else is
refused before anything in it runs, unless trusted (with a warning)."""
import argparse
import functools
import http.server
import io
import os
import os.path as osp
import threading

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import checkpoint as mmengine_checkpoint

from mmctune.utils import checkpoint as ckpt_utils
from mmctune.utils.checkpoint import (UnsafeCheckpointError, load_checkpoint,
                                      register_safe_loaders, trusted)


class RunsCode:
    """Unpickles into a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def evil_file(path, marker, legacy=False, state_dict=None):
    torch.save(
        dict(
            state_dict=state_dict or {'w': torch.ones(2)},
            meta=dict(note=RunsCode(marker))),
        path,
        _use_new_zipfile_serialization=not legacy)
    return str(path)


def current_log(tmp_path):
    """A new current MMLogger writing to a file; returns the file. Named by
    the file's path: an ``id()`` is reused once its object is freed, and
    ``get_instance`` of a reused name returns the earlier test's logger,
    which writes to the earlier test's file."""
    from mmengine.logging import MMLogger
    path = tmp_path / 'log.txt'
    MMLogger.get_instance(f'checkpoint-test-{path}', log_file=str(path))
    return path


@pytest.mark.parametrize('legacy', [False, True])
def test_code_in_a_checkpoint_is_refused_unless_trusted(tmp_path, legacy):
    marker = tmp_path / 'ran'
    path = evil_file(tmp_path / 'evil.pth', marker, legacy)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert 'posix.system' in message and path in message
    assert '--trust-checkpoint' in message
    assert 'trust_checkpoint=True' in message
    assert not marker.exists()
    # a file object too
    with open(path, 'rb') as f, pytest.raises(UnsafeCheckpointError):
        load_checkpoint(io.BytesIO(f.read()))
    assert not marker.exists()

    log = current_log(tmp_path)
    ckpt = load_checkpoint(path, trust_checkpoint=True)
    assert marker.exists()  # what trusting a file means
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    assert 'WARNING' in log.read_text()
    assert 'loaded in full' in log.read_text()
    # the trust was for that call only
    marker.unlink()
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(path)
    assert not marker.exists()


def test_runner_checkpoints_load_safely_and_equal_a_full_load(tiny_trained):
    _, work, path = tiny_trained
    safe = load_checkpoint(path)
    full = torch.load(path, map_location='cpu', weights_only=False)
    assert safe.keys() == full.keys()
    for k, v in full['state_dict'].items():
        assert torch.equal(safe['state_dict'][k], v)
    lr = safe['message_hub']['log_scalars']['train/lr']
    assert isinstance(lr, HistoryBuffer)
    assert lr.mean() == full['message_hub']['log_scalars']['train/lr'].mean()
    assert safe['meta']['rng_state']['python'] == \
        full['meta']['rng_state']['python']
    after_val = load_checkpoint(osp.join(work, 'last_rng_state'))
    name, keys = after_val['state']['numpy'][:2]
    assert name == 'MT19937' and keys.shape == (624, )


def test_getattr_serves_only_history_buffer_statistics(tmp_path):

    class Reach:

        def __init__(self, owner, name):
            self.owner, self.name = owner, name

        def __reduce__(self):
            return getattr, (self.owner, self.name)

    path = str(tmp_path / 'a.pth')
    torch.save(dict(m=Reach(HistoryBuffer, 'mean')), path)
    assert load_checkpoint(path)['m'] is HistoryBuffer.mean
    for name in ('__init__', 'update', '__class__'):
        torch.save(dict(m=Reach(HistoryBuffer, name)), path)
        with pytest.raises(UnsafeCheckpointError):
            load_checkpoint(path)


def test_published_training_options_load(tmp_path):
    """PyContrast's ``opt``, DINO's and MAE's ``args`` are argparse
    Namespaces: rebuilt from their attributes, nothing called."""
    path = str(tmp_path / 'dino.pth')
    torch.save(
        dict(
            teacher={'w': torch.ones(1)},
            args=argparse.Namespace(arch='vit_small', lr=5e-4)), path)
    assert load_checkpoint(path)['args'].arch == 'vit_small'


class _Quiet(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args):
        pass


def test_every_mmengine_scheme_loads_safely(tmp_path, monkeypatch):
    """Each scheme of mmengine's CheckpointLoader is served by mmctune's
    loaders; an http(s) download is refused like a file."""
    register_safe_loaders()
    ours = {loader for _, loader in ckpt_utils.SCHEMES}
    schemes = mmengine_checkpoint.CheckpointLoader._schemes
    assert set(schemes.values()) <= ours, {
        p: f.__module__
        for p, f in schemes.items() if f not in ours
    }

    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'hub'))
    served = tmp_path / 'served'
    served.mkdir()
    marker = tmp_path / 'ran'
    evil_file(served / 'evil.pth', marker)
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(_Quiet, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f'http://127.0.0.1:{server.server_address[1]}/evil.pth'
        with pytest.raises(UnsafeCheckpointError, match='posix.system'):
            mmengine_checkpoint.CheckpointLoader.load_checkpoint(url)
        with pytest.raises(UnsafeCheckpointError, match=url):
            load_checkpoint(url)
    finally:
        server.shutdown()
    assert not marker.exists()


class _Tiny(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(inputs)
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


def _runner(work_dir, epochs, name, **kw):
    from mmengine.runner import Runner
    return Runner(
        model=_Tiny(),
        work_dir=work_dir,
        experiment_name=name,
        train_dataloader=dict(
            dataset=[dict(inputs=torch.ones(2))] * 4,
            batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        default_hooks=dict(logger=None),
        **kw)


def test_an_api_users_runner_resumes(tmp_path, monkeypatch):
    """A Runner built from Python resumes its own checkpoint once
    ``register_all_modules`` (or ``register_safe_loaders``) ran; with
    mmengine's own local loader, torch's weights_only default refuses the
    mmengine checkpoint (its HistoryBuffer)."""
    runner = _runner
    work = str(tmp_path)
    runner(work, 1, 'first').train()
    last = osp.join(work, 'epoch_1.pth')

    monkeypatch.setitem(mmengine_checkpoint.CheckpointLoader._schemes, '',
                        mmengine_checkpoint.load_from_local)
    with pytest.raises(Exception, match='HistoryBuffer'):
        runner(work, 2, 'plain', resume=True, load_from=last).train()
    monkeypatch.undo()

    from mmctune.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    resumed = runner(work, 2, 'safe', resume=True, load_from=last)
    resumed.train()
    assert resumed.epoch == 2


def test_trusted_restores_the_process_setting():
    assert not ckpt_utils.checkpoints_trusted()
    with trusted(True):
        assert ckpt_utils.checkpoints_trusted()
    with trusted(False):  # leaves the process's setting
        assert not ckpt_utils.checkpoints_trusted()
    ckpt_utils.trust_checkpoints(True)
    try:
        with trusted(False):
            assert ckpt_utils.checkpoints_trusted()
    finally:
        ckpt_utils.trust_checkpoints(False)


def test_a_url_checkpoint_offline(tmp_path, monkeypatch):
    """Offline, a checkpoint named by URL is an error that names the file
    and where to put it; put in checkpoints/ (where the docs say the configs
    look), it is used without a download."""
    import socket

    from mmctune.utils.checkpoint import CheckpointUnavailableError
    with socket.socket() as s:  # a port nothing listens on
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    url = f'http://127.0.0.1:{port}/moco/moco_v2_800ep_pretrain.pth.tar'
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'hub'))
    with pytest.raises(CheckpointUnavailableError) as err:
        load_checkpoint(url)
    message = str(err.value)
    assert 'Get moco_v2_800ep_pretrain.pth.tar' in message
    assert f'put it in {tmp_path}/checkpoints/' in message
    assert 'model.backbone.init_cfg.checkpoint=PATH' in message
    assert err.value.__cause__ is None and err.value.__suppress_context__

    (tmp_path / 'checkpoints').mkdir()
    torch.save({'state_dict': {
        'w': torch.ones(1)
    }}, tmp_path / 'checkpoints' / 'moco_v2_800ep_pretrain.pth.tar')
    assert torch.equal(load_checkpoint(url)['state_dict']['w'], torch.ones(1))
