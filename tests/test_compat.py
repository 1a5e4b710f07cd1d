"""mmctune.compat: importing mmctune changes nothing in other libraries;
each fix removes the failure it is for (shown in a fresh interpreter with
the fix turned off by ``MMCTUNE_COMPAT_DISABLE``, or not applied); the fixes
that the pins make needless stay removed."""
import functools
import importlib.metadata
import os.path as osp
import textwrap

import pytest
import torch

from mmctune import compat
from .conftest import ROOT, free_port, run_python


@functools.lru_cache()
def needed_here():
    r = run_python(
        textwrap.dedent("""
        from mmctune import compat
        print(','.join(n for n, f in (
            ('torchvision_ops', compat.torchvision_ops_needed),
            ('mmcv_lite_ops', compat.mmcv_lite_ops_needed)) if f()))
        """))
    assert r.returncode == 0, r.stdout
    return r.stdout.strip().splitlines()[-1].split(',')


def needs(name):
    if name not in needed_here():
        pytest.skip(f'this stack does not have the problem {name} fixes')


def without(name):
    return {'MMCTUNE_COMPAT_DISABLE': name}


def test_unknown_fix_name_is_an_error(monkeypatch):
    monkeypatch.setenv('MMCTUNE_COMPAT_DISABLE', 'torchvision_ops,bogus')
    with pytest.raises(ValueError, match='bogus'):
        compat.disabled()


def test_importing_mmctune_changes_nothing_elsewhere():
    r = run_python(
        textwrap.dedent("""
        import sys
        # what the environment's start-up hooks serve, imported first
        import torchvision, mmseg.models, mmpretrain.models
        import torch, torch.distributed, mmengine.dist.utils as du
        from mmengine.model import MMDistributedDataParallel as DDP
        from mmengine.runner.checkpoint import CheckpointLoader
        import mmcv.image.photometric as ph
        import mmengine.utils.package_utils as pu
        watched = lambda: dict(
            set_device=torch.cuda.set_device, load=torch.load,
            init_pg=torch.distributed.init_process_group,
            init_dist=du.init_dist, init_pytorch=du._init_dist_pytorch,
            init_slurm=du._init_dist_slurm, ddp_init=DDP.__init__,
            local_loader=CheckpointLoader._schemes[''],
            adjust_hue=ph.adjust_hue, installed=pu.get_installed_path,
            mmcv_ops=sys.modules.get('mmcv.ops'),
            meta_path=list(sys.meta_path))
        before = watched()
        import mmctune, mmctune.models, mmctune.engine, mmctune.datasets
        import mmctune.evaluation, mmctune.apis, mmctune.utils
        after = watched()
        changed = [k for k in before if before[k] != after[k]]
        from mmctune import compat
        print('changed:', changed, 'applied:', compat.APPLIED)
        """))
    assert r.returncode == 0, r.stdout
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith('changed: []'), last


def test_torchvision_imports_with_cpu_torch():
    needs('torchvision_ops')
    broken = run_python('import torchvision', env=without('torchvision_ops'))
    assert broken.returncode != 0
    assert 'torchvision::nms does not exist' in broken.stdout

    fixed = run_python(
        textwrap.dedent("""
        import torch, torchvision, mmpretrain.models
        from torchvision.models import resnet18
        print(resnet18().eval()(torch.zeros(1, 3, 32, 32)).shape)
        try:
            torchvision.ops.nms(torch.zeros(1, 4), torch.zeros(1), 0.5)
        except RuntimeError as e:
            print('nms:', e)
        from mmctune import compat
        print('applied:', compat.APPLIED)
        """))
    assert fixed.returncode == 0, fixed.stdout
    assert 'torch.Size([1, 1000])' in fixed.stdout
    # a compiled op still fails with torchvision's own message
    assert "nms: Couldn't load custom C++ ops" in fixed.stdout
    # applied by the venv's start-up file, before mmctune was imported
    assert "applied: ['torchvision_ops'" in fixed.stdout


def test_mmseg_imports_with_mmcv_lite():
    needs('mmcv_lite_ops')
    broken = run_python('import mmseg.models', env=without('mmcv_lite_ops'))
    assert broken.returncode != 0
    assert "No module named 'mmcv._ext'" in broken.stdout

    fixed = run_python(
        textwrap.dedent("""
        import torch, mmseg.models
        from mmseg.registry import MODELS
        head = MODELS.build(dict(type='ASPPHead', in_channels=8,
            channels=4, dilations=(1, 2), num_classes=3))
        print(head([torch.randn(1, 8, 9, 9)]).shape)
        from mmcv.ops import point_sample
        print(point_sample(torch.ones(1, 2, 4, 4),
                           torch.rand(1, 5, 2)).shape)
        try:
            from mmcv.ops import RoIAlign
        except ImportError as e:
            print('RoIAlign:', e)
        """))
    assert fixed.returncode == 0, fixed.stdout
    assert 'torch.Size([1, 3, 9, 9])' in fixed.stdout
    assert 'torch.Size([1, 2, 5])' in fixed.stdout
    assert 'RoIAlign: mmcv.ops.RoIAlign needs mmcv\'s compiled ops' \
        in fixed.stdout


def test_setup_env_writes_the_startup_file():
    text = open(osp.join(ROOT, 'tools', 'setup_env.sh')).read()
    assert 'mmctune.compat.install_environment_hooks()' in text
    assert 'mmctune-cpu-env.pth' in text


DIST_SCRIPT = """
import os, sys, torch, torch.nn as nn
import torch.multiprocessing as mp

def work(rank, port, fix):
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE='2',
                      MASTER_ADDR='127.0.0.1', MASTER_PORT=port)
    from mmcv.cnn import build_norm_layer
    from mmengine.config import Config
    from mmengine.model import BaseModel
    from mmengine.registry import MODELS
    from mmengine.runner import Runner
    from mmengine.dist import all_reduce, get_world_size
    from mmctune import compat

    @MODELS.register_module(force=True)
    class TinyBN(BaseModel):
        def __init__(self, norm):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.bn = build_norm_layer(norm, 2)[1]
        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = self.bn(self.conv(inputs))
            return dict(loss=out.pow(2).mean()) if mode == 'loss' else out

    cfg = Config(dict(
        model=dict(type='TinyBN', norm=dict(type='SyncBN')),
        work_dir=sys.argv[2], launcher='pytorch',
        env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=60)),
        train_dataloader=dict(
            dataset=[dict(inputs=torch.randn(1, 5, 5))] * 8, batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=1)))
    if fix == 'fix':
        print(rank, compat.setup_cpu_distributed(cfg, 'pytorch'))
    runner = Runner.from_cfg(cfg)
    runner.train()
    w = runner.model.module.conv.weight.detach().clone()
    all_reduce(w, op='mean')
    assert torch.allclose(w, runner.model.module.conv.weight, atol=1e-6)
    print(f'rank {rank} of {get_world_size()} trained in step', flush=True)
    compat.destroy_process_group()
    assert not torch.distributed.is_initialized()

if __name__ == '__main__':
    # forked: this script has run no torch op yet (the ranks need not
    # import everything again)
    mp.start_processes(work, args=(sys.argv[1], sys.argv[3]), nprocs=2,
                       start_method='fork')
"""


@pytest.mark.skipif(torch.cuda.is_available(), reason='a CPU-only problem')
def test_distributed_on_cpu(tmp_path):
    script = tmp_path / 'dist.py'
    script.write_text(DIST_SCRIPT)
    broken = run_python(
        args=[str(script),
              str(free_port()),
              str(tmp_path / 'a'), 'plain'])
    assert broken.returncode != 0
    assert 'cuda' in broken.stdout.lower()

    fixed = run_python(
        args=[str(script),
              str(free_port()),
              str(tmp_path / 'b'), 'fix'])
    assert fixed.returncode == 0, fixed.stdout
    assert 'the "gloo" backend instead of "nccl"' in fixed.stdout
    assert '1 SyncBN layer config(s) built as BN' in fixed.stdout
    assert 'rank 0 of 2 trained in step' in fixed.stdout
    assert 'rank 1 of 2 trained in step' in fixed.stdout


def test_cpu_distributed_refuses_other_launchers():
    if torch.cuda.is_available():
        pytest.skip('a CPU-only path')
    with pytest.raises(RuntimeError, match='tools/dist_train.sh'):
        compat.setup_cpu_distributed(dict(), 'slurm')
    assert compat.setup_cpu_distributed(dict(), 'none') == []


def test_pins_make_the_removed_fixes_needless():
    """numpy 2 (mmcv's adjust_hue overflows) and setuptools >= 81 (no
    pkg_resources for mmengine's package look-ups) had fixes; the lock file
    pins below both instead, and the installed stack obeys."""
    lock = open(osp.join(ROOT, 'requirements', 'lock-cpu.txt')).read()
    assert 'numpy==1.' in lock
    assert 'setuptools>=77.0.3,<81' in lock
    assert int(importlib.metadata.version('numpy').split('.')[0]) < 2
    assert int(importlib.metadata.version('setuptools').split('.')[0]) < 81
    import pkg_resources  # noqa: F401
