"""A 2-process gloo run in which one process dies ends, on both sides, with
an error instead of a hang: through tools/dist_train.sh (torchrun stops the
survivor) and with the processes started by hand, as a cluster scheduler
does (the survivor's collective fails, at the latest after
``env_cfg.dist_cfg.timeout`` seconds)."""
import os
import os.path as osp
import subprocess
import sys
import time

import pytest

from ..conftest import ROOT, free_port, write_tiny_config

KILLER = '''
import os
import signal

from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmctune.registry import HOOKS


@HOOKS.register_module()
class KillRankHook(Hook):

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if get_rank() == 1 and runner.iter == 1:
            os.kill(os.getpid(), signal.SIGKILL)
'''


@pytest.fixture()
def config(tiny_fmnist, tmp_path):
    (tmp_path / 'killer.py').write_text(KILLER)
    return write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base='configs/coretune/r18-tiny_simclr_fmnist.py',
        extra="""
custom_imports = dict(imports=['killer'], allow_failed_imports=False)
custom_hooks = [dict(type='KillRankHook')]
env_cfg = dict(dist_cfg=dict(timeout=60))
""")


def env(cfg):
    e = dict(os.environ, PYTHONPATH=osp.dirname(cfg))
    e.pop('MMCTUNE_COMPAT_DISABLE', None)
    return e


def test_dist_train_ends_when_a_process_dies(config, tmp_path):
    start = time.time()
    r = subprocess.run([
        'bash',
        osp.join(ROOT, 'tools', 'dist_train.sh'), config, '2', '--work-dir',
        str(tmp_path / 'w')
    ],
                       cwd=ROOT,
                       env=dict(
                           env(config),
                           PYTHON=sys.executable,
                           PORT=str(free_port())),
                       stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT,
                       text=True,
                       timeout=300)
    assert r.returncode != 0
    assert 'exitcode  : -9 (pid:' in r.stdout  # torchrun's failure report
    assert time.time() - start < 120


def test_survivor_of_a_hand_started_run_raises(config, tmp_path):
    port = str(free_port())
    procs = []
    for rank in (0, 1):
        procs.append(
            subprocess.Popen([
                sys.executable,
                osp.join(ROOT, 'tools', 'train.py'), config, '--launcher',
                'pytorch', '--work-dir',
                str(tmp_path / 'w')
            ],
                             cwd=ROOT,
                             env=dict(
                                 env(config),
                                 RANK=str(rank),
                                 LOCAL_RANK=str(rank),
                                 WORLD_SIZE='2',
                                 MASTER_ADDR='127.0.0.1',
                                 MASTER_PORT=port),
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             text=True))
    start = time.time()
    out0, _ = procs[0].communicate(timeout=240)
    procs[1].wait(timeout=60)
    assert procs[1].returncode == -9
    assert procs[0].returncode not in (0, None), out0[-3000:]
    assert 'Error' in out0
    assert time.time() - start < 180
