"""What tools/train.py decides before the Runner: unique work dirs, the
recipe's total batch under N processes, no run writing over what it reads."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmctune.utils.launch import (check_no_overwrite, default_work_dir,
                                  fit_total_batch, world_size_from_env)

from ..conftest import ROOT


def test_default_work_dir_is_unique_per_config():
    names = ['coretune', 'linear_probe', 'coin', 'l2sp', 'bss', 'delta']
    dirs = {
        default_work_dir(osp.join(ROOT, 'configs', n, 'r50_moco_cifar10.py'))
        for n in names
    }
    assert len(dirs) == len(names)
    assert default_work_dir('configs/coretune/r50_moco_cifar10.py') == \
        osp.join('./work_dirs', 'coretune', 'r50_moco_cifar10')
    assert default_work_dir('configs/coretune/ablations/x.py') == \
        osp.join('./work_dirs', 'coretune', 'ablations', 'x')
    # outside configs/: mmpretrain's rule, the file name
    assert default_work_dir('/tmp/my_cfg.py') == \
        osp.join('./work_dirs', 'my_cfg')


def test_every_config_path_gets_its_own_work_dir():
    import glob
    leaves = [
        p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                             recursive=True) if '_base_' not in p
    ]
    assert len({default_work_dir(p) for p in leaves}) == len(leaves)


def cfg(batch, total=256, **extra):
    c = Config(dict(train_dataloader=dict(batch_size=batch), **extra))
    if total is not None:
        c.auto_scale_lr = dict(base_batch_size=total)
    return c


def test_total_batch_kept_when_it_divides():
    c = cfg(256)
    assert fit_total_batch(c, 1, False) is None
    assert c.train_dataloader.batch_size == 256
    c = cfg(256)
    note = fit_total_batch(c, 8, False)
    assert c.train_dataloader.batch_size == 32
    assert 'total 256 kept on 8 processes: 32 per process' in note
    # a config for 2 GPUs x 8 on one GPU and on four
    c = cfg(8, total=16)
    assert fit_total_batch(c, 2, False) is None
    assert c.train_dataloader.batch_size == 8


def test_total_batch_that_does_not_split_is_an_error():
    with pytest.raises(ValueError, match=r'does not split evenly over 3 '
                       r'processes.*train_dataloader\.batch_size=B'):
        fit_total_batch(cfg(256), 3, False)


@pytest.mark.parametrize('scale', [False, True])
def test_users_batch_is_kept_and_said(scale):
    c = cfg(64, auto_scale_lr=None)
    c.auto_scale_lr = dict(base_batch_size=256, enable=scale)
    note = fit_total_batch(c, 8, True)
    assert c.train_dataloader.batch_size == 64
    assert '8 process(es) x 64 = 512, not the recipe\'s total 256' in note
    assert 'train_dataloader.batch_size=32 restores the total 256' in note
    assert ('scaled by 512/256' in note) == scale
    assert ('NOT scaled' in note) == (not scale)
    # the config's own batch given on the command line on 1 GPU: kept
    c = cfg(256)
    assert fit_total_batch(c, 4, True) is not None
    assert c.train_dataloader.batch_size == 256
    # a derived config with another batch is the user's choice too
    c = cfg(16)
    assert 'x 16 = 16, not' in fit_total_batch(c, 1, False)
    assert c.train_dataloader.batch_size == 16


def test_world_size_from_launcher_env(monkeypatch):
    assert world_size_from_env('none') == 1
    monkeypatch.setenv('WORLD_SIZE', '4')
    assert world_size_from_env('pytorch') == 4
    monkeypatch.setenv('SLURM_NTASKS', '16')
    assert world_size_from_env('slurm') == 16
    monkeypatch.delenv('WORLD_SIZE')
    with pytest.raises(RuntimeError, match='WORLD_SIZE'):
        world_size_from_env('pytorch')


def test_a_run_may_not_overwrite_the_checkpoint_it_reads(tmp_path):
    work = tmp_path / 'w'
    work.mkdir()
    ckpt = str(work / 'epoch_100.pth')
    c = Config(dict(
        work_dir=str(work),
        model=dict(backbone=dict(init_cfg=dict(type='Pretrained',
                                               checkpoint=ckpt)))))
    with pytest.raises(ValueError, match='overwrite it.*--work-dir'):
        check_no_overwrite(c)
    c = Config(dict(work_dir=str(work), load_from=ckpt, model=dict()))
    with pytest.raises(ValueError, match='epoch_100.pth'):
        check_no_overwrite(c)
    # resuming reads its own work dir by design; another folder is fine
    c.resume = True
    check_no_overwrite(c)
    c = Config(dict(work_dir=str(tmp_path / 'other'), load_from=ckpt))
    check_no_overwrite(c)
