"""A run killed with SIGKILL (mid-epoch, or while writing a checkpoint) and
resumed with ``tools/train.py --resume`` ends with exactly the weights and
metrics of the uninterrupted run, for CE-tuning, Core-tuning and COIN (killed
in its second stage, after the switch); the same config and seed twice give
identical runs. Real random augmentation (random crop and flip) and
Core-tuning's random mixing ratios are in play, in deterministic mode."""
import glob
import json
import os.path as osp

import pytest
import torch

from ..conftest import ROOT, run_python, write_tiny_config

TRAIN = osp.join(ROOT, 'tools', 'train.py')

# kills its own process (SIGKILL: no clean-up, no atexit) after a given
# training step, or in the middle of writing the checkpoint of an epoch: the
# checkpoint's bytes are in the temporary file when fsync is reached
KILLER = '''
import os
import signal

from mmengine.hooks import Hook

from mmctune.registry import HOOKS


def _die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class KillHook(Hook):
    priority = 'VERY_HIGH'  # arms before the checkpoint hook saves

    def __init__(self, epoch, batch=None):
        self.epoch, self.batch = epoch, batch

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if self.batch is not None and (runner.epoch, batch_idx) == (
                self.epoch, self.batch):
            _die()

    def after_train_epoch(self, runner):
        if self.batch is None and runner.epoch == self.epoch:
            os.fsync = _die  # the end-of-epoch checkpoint dies being written
'''

METHODS = {
    'ce': ('configs/baselines/ce_r18-tiny_simclr_fmnist.py', '[]'),
    'coretune': ('configs/coretune/r18-tiny_simclr_fmnist.py', '[]'),
    # stage 2 (classifier trained, eta 0.1) from epoch 1 of 3
    'coin': ('configs/coin/r18-tiny_simclr_fmnist.py', """[
    dict(type='StageSwitchHook', stages=[
        (1, {'head.train_classifier': True,
             'head.con_loss.loss_weight': 0.1})])]"""),
}


def write_configs(tmp_path, data_root, method):
    base, hooks = METHODS[method]
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        data_root,
        base=base,
        extra=f"""
train_cfg = dict(max_epochs=3, val_interval=1)
param_scheduler = dict(T_max=3)
randomness = dict(seed=0, deterministic=True)
custom_hooks = {hooks}
""")
    (tmp_path / 'killer.py').write_text(KILLER)
    kill = {}
    for name, args in [('mid_epoch', 'epoch=1, batch=1'),
                       ('in_save', 'epoch=1')]:
        kill[name] = tmp_path / f'kill_{name}.py'
        kill[name].write_text(f"""
_base_ = ['./cfg.py']
custom_imports = dict(imports=['killer'], allow_failed_imports=False)
custom_hooks = {hooks[:-1]}{', ' if hooks != '[]' else ''}\
dict(type='KillHook', {args})]
""")
    return cfg, {k: str(v) for k, v in kill.items()}


def train(cfg, work, *args):
    return run_python(
        args=[TRAIN, cfg, '--work-dir', work, *args],
        env=dict(PYTHONPATH=osp.dirname(cfg)),
        timeout=600)


def final(work):
    sd = torch.load(
        osp.join(work, 'epoch_3.pth'), map_location='cpu',
        weights_only=False)['state_dict']
    files = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    vals = {}
    for name in files:
        with open(name) as f:
            for line in map(json.loads, f):
                if 'accuracy/top1' in line:
                    vals[line['step']] = line['accuracy/top1']
    return sd, vals


def assert_same(a, b):
    (wa, ma), (wb, mb) = a, b
    assert wa.keys() == wb.keys()
    for k in wa:  # bit for bit, tensor by tensor
        assert torch.equal(wa[k], wb[k]), k
    assert ma == mb and sorted(ma) == [1, 2, 3]


_WHOLE = {}


def whole_run(method, data_root, tmp_path_factory):
    """The uninterrupted run of ``method`` (run once per test session)."""
    if method not in _WHOLE:
        tmp = tmp_path_factory.mktemp(f'whole_{method}')
        cfg, _ = write_configs(tmp, data_root, method)
        r = train(cfg, str(tmp / 'work'))
        assert r.returncode == 0, r.stdout[-3000:]
        # max_keep_ckpts=1: each new checkpoint replaced the last
        assert [
            osp.basename(p)
            for p in glob.glob(str(tmp / 'work' / 'epoch_*.pth*'))
        ] == ['epoch_3.pth']
        _WHOLE[method] = final(str(tmp / 'work'))
    return _WHOLE[method]


@pytest.mark.parametrize('method,kill', [('ce', 'mid_epoch'),
                                         ('coretune', 'in_save'),
                                         ('coin', 'mid_epoch')])
def test_killed_and_resumed_run_equals_uninterrupted(method, kill, tiny_fmnist,
                                                     tmp_path,
                                                     tmp_path_factory):
    cfg, kill_cfgs = write_configs(tmp_path, tiny_fmnist, method)
    parts = str(tmp_path / 'parts')
    r = train(kill_cfgs[kill], parts)
    assert r.returncode == -9, r.stdout[-3000:]  # SIGKILL
    assert not osp.exists(osp.join(parts, 'epoch_2.pth'))
    with open(osp.join(parts, 'last_checkpoint')) as f:
        assert f.read().endswith('epoch_1.pth')
    if kill == 'in_save':
        # the new checkpoint never got its name; the old one was kept
        assert osp.isfile(osp.join(parts, 'epoch_2.pth.tmp'))
        assert osp.isfile(osp.join(parts, 'epoch_1.pth'))

    r = train(cfg, parts, '--resume')
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'resumed epoch: 1' in r.stdout
    assert 'random generator states restored from ' + osp.join(
        parts, 'last_rng_state') in r.stdout
    if method == 'coin':
        assert "head set to {'train_classifier': True" not in r.stdout
    assert_same(whole_run(method, tiny_fmnist, tmp_path_factory), final(parts))


def test_same_config_and_seed_twice_is_identical(tiny_fmnist, tmp_path,
                                                 tmp_path_factory):
    first = whole_run('coretune', tiny_fmnist, tmp_path_factory)
    cfg, _ = write_configs(tmp_path, tiny_fmnist, 'coretune')
    again = str(tmp_path / 'again')
    r = train(cfg, again)
    assert r.returncode == 0, r.stdout[-3000:]
    assert_same(first, final(again))
    # RandomStateHook only reads the generators: without it a fresh run is
    # the same (and `default_hooks.<mmctune hook>=None` turns one off)
    off = str(tmp_path / 'off')
    r = train(cfg, off, '--cfg-options', 'default_hooks.random_state=None')
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'RandomStateHook' not in r.stdout
    assert_same(first, final(off))
