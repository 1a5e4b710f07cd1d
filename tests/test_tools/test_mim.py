"""``mim train mmctune CONFIG`` / ``mim test``: the wheel carries configs/
and tools/ in mmctune/.mim, where mim looks for them."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from ..conftest import ROOT, write_idx_fmnist

if not os.environ.get('CI'):  # CI installs it (tools/setup_env.sh)
    pytest.importorskip('mim')


def run(cmd, env, cwd):
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:]
    return r.stdout


def test_mim_train_and_test_from_the_wheel(tmp_path):
    # build the wheel from a copy of the sources (setup.py writes .mim/)
    src = tmp_path / 'src'
    src.mkdir()
    for name in ('mmctune', 'configs', 'tools', 'requirements'):
        shutil.copytree(
            osp.join(ROOT, name), src / name, symlinks=False,
            ignore=shutil.ignore_patterns('__pycache__', '.mim'))
    for name in ('setup.py', 'setup.cfg', 'README.md'):
        shutil.copy(osp.join(ROOT, name), src / name)
    env = dict(os.environ)
    pip = [sys.executable, '-m', 'pip', '-q', '--disable-pip-version-check']
    run(pip + ['wheel', '--no-deps', '--no-build-isolation', '-w',
               str(tmp_path / 'dist'), str(src)], env, str(tmp_path))
    wheel, = (tmp_path / 'dist').iterdir()
    target = tmp_path / 'site'
    run(pip + ['install', '--no-deps', '--target', str(target), str(wheel)],
        env, str(tmp_path))
    assert not (target / 'tests').exists()  # only the package ships
    mim_root = target / 'mmctune' / '.mim'
    assert (mim_root / 'tools' / 'train.py').is_file()
    assert (mim_root / 'configs' / 'coretune' / 'r50_moco_cifar10.py').is_file()

    # the installed package comes first: mim finds its .mim folder
    env['PYTHONPATH'] = str(target)
    env.pop('MMCTUNE_COMPAT_DISABLE', None)
    mim = [sys.executable, '-m', 'mim']
    data = write_idx_fmnist(str(tmp_path / 'fmnist'))
    work = tmp_path / 'work'
    out = run(mim + [
        'train', 'mmctune', 'ce_r18-tiny_simclr_fmnist.py', '--work-dir',
        str(work), '--smoke', '--cfg-options', 'model.backbone.init_cfg=None',
        f'train_dataloader.dataset.data_root={data}',
        f'val_dataloader.dataset.data_root={data}'
    ], env, str(tmp_path))
    assert str(mim_root / 'tools' / 'train.py') in out
    assert (work / 'epoch_1.pth').is_file()
    out = run(mim + [
        'test', 'mmctune', 'ce_r18-tiny_simclr_fmnist.py', '--checkpoint',
        str(work / 'epoch_1.pth'), '--work-dir', str(tmp_path / 'test'),
        '--cfg-options', f'test_dataloader.dataset.data_root={data}'
    ], env, str(tmp_path))
    assert 'accuracy/top1' in out
