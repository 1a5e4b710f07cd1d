"""Each compatibility fix: the failure it prevents (shown in a fresh
interpreter with the fix turned off by ``MMCTUNE_COMPAT_DISABLE``), that the
fix removes it, and that it stays off where the problem is absent."""
import functools
import textwrap

import numpy as np
import pytest
import torch

from mmctune.utils import compat

from ..conftest import free_port, run_python


@functools.lru_cache()
def applied_in_fresh_interpreter():
    r = run_python('import mmctune; from mmctune.utils import compat; '
                   'print(",".join(compat.APPLIED))')
    assert r.returncode == 0, r.stdout
    return r.stdout.strip().splitlines()[-1].split(',')


def needs(name):
    if name not in applied_in_fresh_interpreter():
        pytest.skip(f'this stack does not have the problem {name} fixes')


def without(name):
    return {'MMCTUNE_COMPAT_DISABLE': name}


def test_unknown_fix_name_is_an_error(monkeypatch):
    monkeypatch.setenv('MMCTUNE_COMPAT_DISABLE', 'torchvision_ops,bogus')
    with pytest.raises(ValueError, match='bogus'):
        compat.disabled()


def test_torchvision_imports_with_cpu_torch():
    needs('torchvision_ops')
    broken = run_python('import mmctune, torchvision',
                        env=without('torchvision_ops'))
    assert broken.returncode != 0
    assert 'torchvision::nms does not exist' in broken.stdout

    fixed = run_python(
        textwrap.dedent("""
        import mmctune, torch, torchvision, mmpretrain.models
        from torchvision.models import resnet18
        print(resnet18().eval()(torch.zeros(1, 3, 32, 32)).shape)
        try:
            torchvision.ops.nms(torch.zeros(1, 4), torch.zeros(1), 0.5)
        except RuntimeError as e:
            print('nms:', e)
        """))
    assert fixed.returncode == 0, fixed.stdout
    assert 'torch.Size([1, 1000])' in fixed.stdout
    # a compiled op still fails with torchvision's own message
    assert "nms: Couldn't load custom C++ ops" in fixed.stdout


def test_mmseg_imports_with_mmcv_lite():
    needs('mmcv_lite_ops')
    broken = run_python('import mmctune, mmseg.models',
                        env=without('mmcv_lite_ops'))
    assert broken.returncode != 0
    assert "No module named 'mmcv._ext'" in broken.stdout

    fixed = run_python(
        textwrap.dedent("""
        import mmctune, torch, mmseg.models
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


RESUME_SCRIPT = """
import sys, torch, torch.nn as nn
import mmctune
from mmengine.model import BaseModel
from mmengine.runner import Runner

class Tiny(BaseModel):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)
    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(inputs)
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out

def runner(epochs, **kw):
    return Runner(
        model=Tiny(), work_dir=sys.argv[1], experiment_name=f'e{epochs}',
        train_dataloader=dict(
            dataset=[dict(inputs=torch.ones(2))] * 4, batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=epochs), **kw)

runner(1).train()
r = runner(2, resume=True, load_from=sys.argv[1] + '/epoch_1.pth')
r.train()
print('resumed to epoch', r.epoch)
"""


def test_resume_with_weights_only_default(tmp_path):
    needs('torch_load_weights_only')
    script = tmp_path / 'resume.py'
    script.write_text(RESUME_SCRIPT)
    broken = run_python(
        args=[str(script), str(tmp_path / 'a')],
        env=without('torch_load_weights_only'))
    assert broken.returncode != 0
    assert 'Unsupported global' in broken.stdout
    assert 'HistoryBuffer' in broken.stdout

    fixed = run_python(args=[str(script), str(tmp_path / 'b')])
    assert fixed.returncode == 0, fixed.stdout
    assert 'resumed to epoch 2' in fixed.stdout


DIST_SCRIPT = """
import os, sys, torch, torch.nn as nn
import torch.multiprocessing as mp

def work(rank, port):
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE='2',
                      MASTER_ADDR='127.0.0.1', MASTER_PORT=port)
    import mmctune
    from mmengine.dist import init_dist, get_world_size, all_reduce
    from mmengine.model import MMDistributedDataParallel
    init_dist('pytorch', backend='nccl')   # what every config asks for
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.SyncBatchNorm(2))
    model = MMDistributedDataParallel(model, device_ids=[rank])
    model(torch.randn(4, 1, 5, 5)).sum().backward()
    grad = model.module[0].weight.grad.clone()
    all_reduce(grad, op='mean')
    assert torch.allclose(grad, model.module[0].weight.grad, atol=1e-6)
    print(f'rank {rank} of {get_world_size()} ok', flush=True)
    # exiting with a live gloo group can abort the process: the group is
    # destroyed by an exit handler
    import atexit
    atexit._run_exitfuncs()
    assert not torch.distributed.is_initialized()
    print(f'rank {rank} destroyed its group at exit', flush=True)

if __name__ == '__main__':
    mp.spawn(work, args=(sys.argv[1], ), nprocs=2)
"""


def test_distributed_on_cpu(tmp_path):
    needs('cpu_distributed')
    script = tmp_path / 'dist.py'
    script.write_text(DIST_SCRIPT)
    broken = run_python(
        args=[str(script), str(free_port())], env=without('cpu_distributed'))
    assert broken.returncode != 0

    fixed = run_python(args=[str(script), str(free_port())])
    assert fixed.returncode == 0, fixed.stdout
    assert 'rank 0 of 2 ok' in fixed.stdout
    assert 'rank 1 of 2 ok' in fixed.stdout
    assert 'rank 1 destroyed its group at exit' in fixed.stdout


_UINT8 = np.uint8


class _Numpy2Uint8(np.uint8):
    """``np.uint8`` with numpy 2's rule for Python numbers (NEP 50): out of
    range raises ``OverflowError`` instead of wrapping."""

    def __new__(cls, value=0):
        if isinstance(value, (int, float, np.integer, np.floating)) and \
                not isinstance(value, np.uint8) and \
                not 0 <= int(value) <= 255:
            raise OverflowError(
                f'Python integer {int(value)} out of bounds for uint8')
        return _UINT8(value)


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_adjust_hue_under_numpy2_rules(backend, monkeypatch):
    from mmcv.image import photometric
    original = photometric.adjust_hue.__wrapped__ if hasattr(
        photometric.adjust_hue, '__wrapped__') else photometric.adjust_hue
    if original is compat.adjust_hue:
        pytest.skip('numpy 2 installed: mmcv.adjust_hue is already replaced')
    img = np.random.default_rng(0).integers(0, 256, (6, 7, 3), np.uint8)

    # numpy 1 wraps; the fix computes the same for every hue shift
    for hue in np.linspace(-0.5, 0.5, 11):
        np.testing.assert_array_equal(
            compat.adjust_hue(img, float(hue), backend),
            original(img, float(hue), backend))

    # numpy 2's scalar rule: the original fails on a negative shift
    monkeypatch.setattr(np, 'uint8', _Numpy2Uint8)
    with pytest.raises(OverflowError):
        original(img, -0.3, backend)
    assert compat.adjust_hue(img, -0.3, backend).shape == img.shape


def test_config_base_from_package_without_pkg_resources(tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("_base_ = 'mmpretrain::_base_/default_runtime.py'\n"
                   'log_level = "DEBUG"\n')
    code = textwrap.dedent(f"""
        import sys
        sys.modules['pkg_resources'] = None  # as with setuptools >= 81
        import mmctune
        from mmengine.config import Config
        cfg = Config.fromfile({str(cfg)!r})
        print('scope', cfg.default_scope, cfg.log_level)
        """)
    broken = run_python(code, env=without('setuptools_pkg_resources'))
    assert broken.returncode != 0
    assert 'pkg_resources' in broken.stdout

    fixed = run_python(code)
    assert fixed.returncode == 0, fixed.stdout
    assert 'scope mmpretrain DEBUG' in fixed.stdout


def test_package_lookups_match_pkg_resources():
    pytest.importorskip('pkg_resources')
    from mmengine.utils import package_utils
    for pkg in ('mmpretrain', 'mmengine', 'mmsegmentation'):
        assert compat.get_installed_path(pkg) == \
            package_utils.get_installed_path(pkg)
        assert compat.is_installed(pkg)
    assert compat.package2module('mmsegmentation') == 'mmseg'
    assert not compat.is_installed('surely-not-installed-pkg')


def test_fixes_stay_off_where_not_needed(monkeypatch):
    needed = {name: fn for name, (fn, _) in compat.FIXES.items()}
    # torchvision already imported: nothing to patch
    import torchvision  # noqa: F401
    assert not needed['torchvision_ops']()
    from mmengine.runner import checkpoint
    original = checkpoint.load_from_local
    monkeypatch.setattr(checkpoint, 'load_from_local', compat.load_from_local)
    assert not needed['torch_load_weights_only']()  # mmengine has the fix
    monkeypatch.setattr(checkpoint, 'load_from_local', original)
    monkeypatch.setattr(torch, '__version__', '2.5.1')
    assert not needed['torch_load_weights_only']()
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert not needed['cpu_distributed']()
    monkeypatch.setattr(np, '__version__', '1.26.4')
    assert not needed['numpy2_hue']()
    monkeypatch.setattr(np, '__version__', '2.1.0')
    assert needed['numpy2_hue']()
