"""``mim train mmctune CONFIG`` / ``mim test`` / ``mim search mmctune``: the
wheel carries configs/ (with their metafiles), tools/ and the model index
in mmctune/.mim, where mim and ``mmctune.apis.list_models`` look for them;
in an editable install (the README's set-up) tools/misc/mim_editable.py
links them there."""
import glob
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig

import pytest

from ..conftest import ROOT, write_idx_fmnist

if not os.environ.get('CI'):  # CI installs it (tools/setup_env.sh)
    pytest.importorskip('mim')


def run(cmd, env, cwd):
    r = subprocess.run(
        cmd,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600)
    assert r.returncode == 0, r.stdout[-4000:]
    return r.stdout


def copy_sources(src):
    """What setup.py packages, copied to ``src`` (setup.py writes .mim/ in
    the tree it builds)."""
    src.mkdir()
    for name in ('mmctune', 'configs', 'tools', 'requirements'):
        shutil.copytree(
            osp.join(ROOT, name),
            src / name,
            symlinks=False,
            ignore=shutil.ignore_patterns('__pycache__', '.mim'))
    for name in ('setup.py', 'setup.cfg', 'README.md', 'model-index.yml'):
        shutil.copy(osp.join(ROOT, name), src / name)
    return src


def test_mim_train_and_test_from_the_wheel(tmp_path):
    # build the wheel from a copy of the sources (setup.py writes .mim/)
    src = copy_sources(tmp_path / 'src')
    env = dict(os.environ)
    pip = [sys.executable, '-m', 'pip', '-q', '--disable-pip-version-check']
    run(
        pip + [
            'wheel', '--no-deps', '--no-build-isolation', '-w',
            str(tmp_path / 'dist'),
            str(src)
        ], env, str(tmp_path))
    wheel, = (tmp_path / 'dist').iterdir()
    target = tmp_path / 'site'
    run(pip + ['install', '--no-deps', '--target',
               str(target),
               str(wheel)], env, str(tmp_path))
    assert not (target / 'tests').exists()  # only the package ships
    mim_root = target / 'mmctune' / '.mim'
    assert (mim_root / 'tools' / 'train.py').is_file()
    assert (mim_root / 'configs' / 'coretune' /
            'r50_moco_cifar10.py').is_file()
    assert (mim_root / 'model-index.yml').is_file()
    assert (mim_root / 'configs' / 'coretune' / 'metafile.yml').is_file()

    # the installed package comes first: mim finds its .mim folder
    env['PYTHONPATH'] = str(target)
    env.pop('MMCTUNE_COMPAT_DISABLE', None)
    mim = [sys.executable, '-m', 'mim']
    data = write_idx_fmnist(str(tmp_path / 'fmnist'))
    work = tmp_path / 'work'
    out = run(
        mim + [
            'train', 'mmctune', 'ce_r18-tiny_simclr_fmnist.py', '--work-dir',
            str(work), '--smoke', '--cfg-options',
            'model.backbone.init_cfg=None',
            f'train_dataloader.dataset.data_root={data}',
            f'val_dataloader.dataset.data_root={data}'
        ], env, str(tmp_path))
    assert str(mim_root / 'tools' / 'train.py') in out
    assert (work / 'epoch_1.pth').is_file()
    out = run(
        mim + [
            'test', 'mmctune', 'ce_r18-tiny_simclr_fmnist.py', '--checkpoint',
            str(work / 'epoch_1.pth'), '--work-dir',
            str(tmp_path / 'test'), '--cfg-options',
            f'test_dataloader.dataset.data_root={data}'
        ], env, str(tmp_path))
    assert 'accuracy/top1' in out

    # the model index: mim search finds the models, and the installed
    # package's list_models / get_model read the index it carries
    out = run(mim + ['search', 'mmctune', '--valid-config'], env,
              str(tmp_path))
    assert "'coretune/r50_moco_cifar10'" in out
    assert "'baselines/ce_r18-tiny_simclr_fmnist'" in out
    out = run(
        mim + [
            'search', 'mmctune', '--model', 'core-tuning', '--field', 'config',
            'setting'
        ], env, str(tmp_path))
    assert 'coretune/r50_moco_cifar10' in out
    assert 'configs/coretune/r50_moco_cifar10.py' in out
    assert 'baselines/ce_r50_moco_cifar10' not in out
    out = run([
        sys.executable, '-c',
        ('import mmctune.apis as a; '
         'print(a.__file__); '
         'print(a.ModelHub.metainfo("coretune/r50_moco_cifar10").config); '
         'print(len(a.list_models()))')
    ], env, str(tmp_path))
    apis, config, n = out.strip().splitlines()[-3:]
    assert apis.startswith(str(target))
    assert config == str(mim_root / 'configs' / 'coretune' /
                         'r50_moco_cifar10.py')
    configs = [
        p for p in glob.glob(
            osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
        if '_base_' not in p
    ]
    assert int(n) == len(configs)  # every config of the source tree


def test_mim_train_in_an_editable_install(tmp_path):
    """The README's set-up: tools/setup_env.sh installs mmctune editable
    (``pip install --no-deps --no-build-isolation -e .``), then runs
    tools/misc/mim_editable.py. Here in a virtual environment of its own,
    on a copy of the sources, with the current environment's packages."""
    src = copy_sources(tmp_path / 'src')
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip',
                    str(venv)],
                   check=True)
    python = str(venv / 'bin' / 'python')
    site = subprocess.run([
        python, '-c', 'import sysconfig; '
        'print(sysconfig.get_paths()["purelib"])'
    ],
                          stdout=subprocess.PIPE,
                          text=True,
                          check=True).stdout.strip()
    deps = sysconfig.get_paths()['purelib']
    with open(osp.join(site, 'zz-deps.pth'), 'w') as f:
        f.write(deps + '\n')
    # tools/setup_env.sh's start-up file, where this environment has it
    if osp.isfile(osp.join(deps, 'mmctune-cpu-env.pth')):
        shutil.copy(osp.join(deps, 'mmctune-cpu-env.pth'), site)
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)  # the editable install is what imports
    env.pop('MMCTUNE_COMPAT_DISABLE', None)
    run([
        sys.executable, '-m', 'pip', '-q', '--disable-pip-version-check',
        'install', '--no-deps', '--no-build-isolation', '-e',
        str(src), '--target', site
    ], env, str(tmp_path))
    # setup.py linked .mim/ in the clone (mmpretrain's setup.py does it for
    # the `setup.py develop` that setuptools 80 no longer has) ...
    assert osp.realpath(src / 'mmctune' / '.mim' / 'tools') == str(src /
                                                                   'tools')
    # ... but mim looks beside the metadata, in site-packages, where an
    # editable install has no package: a config given by file name is not
    # found (one given by path ends in a bare CalledProcessError: mim runs
    # site-packages/mmctune/tools/train.py -h)
    mim = [python, '-m', 'mim']
    data = write_idx_fmnist(str(tmp_path / 'fmnist'))
    train = mim + [
        'train', 'mmctune', 'ce_r18-tiny_simclr_fmnist.py', '--work-dir',
        str(tmp_path / 'work'), '--smoke', '--cfg-options',
        'model.backbone.init_cfg=None',
        f'train_dataloader.dataset.data_root={data}',
        f'val_dataloader.dataset.data_root={data}'
    ]
    r = subprocess.run(
        train,
        env=env,
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600)
    assert r.returncode != 0
    assert 'find the config file in codebase mmctune' in r.stdout

    out = run([python, str(src / 'tools' / 'misc' / 'mim_editable.py')], env,
              str(tmp_path))
    link = osp.join(site, 'mmctune')
    assert osp.islink(link) and osp.realpath(link) == str(src / 'mmctune')
    assert f'{link} -> {src / "mmctune"}' in out
    # pip owns the link (RECORD): `pip uninstall` or a later install
    # removes it, and never writes through it into the clone
    record, = [
        osp.join(site, d, 'RECORD') for d in os.listdir(site)
        if d.endswith('.dist-info')
    ]
    assert 'mmctune,,' in open(record).read().splitlines()

    out = run(train, env, str(tmp_path))
    assert osp.join(link, '.mim', 'tools', 'train.py') in out
    assert str(src / 'configs' / 'baselines' /
               'ce_r18-tiny_simclr_fmnist.py') in out
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()
    # `mim test` finds tools/test.py beside train.py, through the same link
    # (run from the wheel in the test above)
    assert osp.realpath(osp.join(link, '.mim', 'tools',
                                 'test.py')) == str(src / 'tools' / 'test.py')
