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
        p for p in glob.glob(
            osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
        if '_base_' not in p
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
    with pytest.raises(
            ValueError,
            match=r'does not split evenly over 3 '
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
    c = Config(
        dict(
            work_dir=str(work),
            model=dict(
                backbone=dict(
                    init_cfg=dict(type='Pretrained', checkpoint=ckpt)))))
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


def cosine(t_max=100, max_epochs=100, **extra):
    return Config(
        dict(
            train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
            param_scheduler=dict(
                type='CosineAnnealingLR',
                T_max=t_max,
                by_epoch=True,
                convert_to_iter_based=True),
            **extra))


def lr_at_end(cfg, iters_per_epoch=4):
    """The learning rate of the run's last iteration (base lr 1), from
    mmengine's schedulers built as the Runner builds them."""
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import PARAM_SCHEDULERS
    model = torch.nn.Linear(1, 1)
    wrapper = build_optim_wrapper(model,
                                  dict(optimizer=dict(type='SGD', lr=1.0)))
    loop = cfg.train_cfg
    scheds = []
    for s in fit_schedulers_list(cfg.param_scheduler):
        s = dict(s)
        by_epoch = s.pop('by_epoch', True)
        convert = s.pop('convert_to_iter_based', False)
        s.setdefault(
            'end',
            loop.max_epochs if by_epoch else loop.max_epochs * iters_per_epoch)
        kind = PARAM_SCHEDULERS.get(s.pop('type'))
        if by_epoch and convert:
            scheds.append(
                kind.build_iter_from_epoch(
                    wrapper, **s, epoch_length=iters_per_epoch))
        else:
            scheds.append(kind(wrapper, **s, by_epoch=by_epoch))
    for _ in range(loop.max_epochs * iters_per_epoch - 1):
        for s in scheds:
            if not s.by_epoch:
                s.step()
    return wrapper.optimizer.param_groups[0]['lr']


def fit_schedulers_list(node):
    return node if isinstance(node, (list, tuple)) else [node]


def test_a_shorter_run_gets_the_whole_schedule():
    """train_cfg.max_epochs=3 over a 100-epoch cosine: fitted, so the
    learning rate of the last of 12 iterations is the cosine's last step,
    (1 + cos(11 pi / 12)) / 2 of the start (unfitted: 0.998 of it)."""
    import math

    from mmctune.utils.launch import fit_schedule
    cfg = cosine(max_epochs=3)
    assert lr_at_end(cfg) > 0.99
    note = fit_schedule(cfg)
    assert 'written for 100 epochs, fitted to the run\'s 3' in note
    assert cfg.param_scheduler.T_max == 3
    assert lr_at_end(cfg) == pytest.approx(
        (1 + math.cos(11 * math.pi / 12)) / 2)
    assert fit_schedule(cfg) is None  # fitted: nothing more to do


def test_schedule_fitting_scales_warm_up_and_keeps_iteration_warm_up():
    from mmctune.utils.launch import fit_schedule
    cfg = Config(
        dict(
            train_cfg=dict(max_epochs=10),
            param_scheduler=[
                dict(type='LinearLR', by_epoch=False, begin=0, end=40),
                dict(
                    type='LinearLR',
                    begin=0,
                    end=10,
                    convert_to_iter_based=True),
                dict(
                    type='CosineAnnealingLR',
                    T_max=90,
                    begin=10,
                    end=100,
                    convert_to_iter_based=True),
                dict(type='MultiStepLR', milestones=[30, 60]),
            ]))
    fit_schedule(cfg)
    iters, warm, cos, steps = cfg.param_scheduler
    assert (iters.begin, iters.end) == (0, 40)  # iterations: kept
    assert (warm.begin, warm.end) == (0, 1)
    assert (cos.begin, cos.end, cos.T_max) == (1, 10, 9)
    assert steps.milestones == [3, 6]


def test_exponential_decay_keeps_its_total_and_options_are_kept():
    from mmctune.utils.launch import fit_schedule
    cfg = Config(
        dict(
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=100),
            param_scheduler=dict(
                type='ExponentialLR',
                gamma=0.1**(1 / 20000),
                by_epoch=False,
                end=20000)))
    fit_schedule(cfg)
    assert cfg.param_scheduler.end == 100
    assert cfg.param_scheduler.gamma**100 == pytest.approx(0.1)
    # a span the user gives is theirs, and said
    cfg = cosine(t_max=50, max_epochs=3)
    note = fit_schedule(cfg, {'param_scheduler.T_max': 50})
    assert 'as --cfg-options param_scheduler.T_max sets: kept' in note
    assert cfg.param_scheduler.T_max == 50


def test_a_stage_that_would_last_no_epoch_is_refused():
    from mmctune.utils.launch import fit_schedule
    cfg = Config(
        dict(
            train_cfg=dict(max_epochs=2),
            param_scheduler=[
                dict(type='LinearLR', begin=0, end=5),
                dict(type='CosineAnnealingLR', begin=5, end=100),
            ]))
    with pytest.raises(ValueError, match='would last no epoch'):
        fit_schedule(cfg)


def test_workers_are_capped_at_the_cores(monkeypatch):
    from mmctune.utils.launch import cap_workers
    monkeypatch.setattr('os.sched_getaffinity', lambda pid: {0, 1})
    cfg = Config(
        dict(
            train_dataloader=dict(num_workers=8),
            val_dataloader=dict(num_workers=2)))
    note = cap_workers(cfg)
    assert cfg.train_dataloader.num_workers == 2
    assert cfg.val_dataloader.num_workers == 2
    assert 'capped at the 2 core(s)' in note and 'train 8' in note
    assert cap_workers(cfg) is None


def test_a_new_run_refuses_an_earlier_runs_work_dir(tmp_path):
    from mmctune.utils.launch import check_new_run
    work = tmp_path / 'run'
    work.mkdir()
    cfg = Config(dict(work_dir=str(work)))
    assert check_new_run(cfg) is None
    (work / 'epoch_3.pth').write_bytes(b'x')
    (work / 'last_checkpoint').write_text(str(work / 'epoch_3.pth'))
    with pytest.raises(FileExistsError, match='--resume'):
        check_new_run(cfg)
    cfg.resume = True
    assert check_new_run(cfg) is None  # resuming it
    # a smoke run clears its own scratch folder, and says so
    smoke = tmp_path / 'run_smoke'
    smoke.mkdir()
    (smoke / 'epoch_1.pth').write_bytes(b'x')
    note = check_new_run(Config(dict(work_dir=str(smoke))), smoke=True)
    assert 'removed the earlier smoke run' in note
    assert not (smoke / 'epoch_1.pth').exists()


def test_the_demo_configs_read_the_pretraining_where_training_writes_it():
    """configs/baselines/ce_r18-tiny_simclr_fmnist.py names the checkpoint
    `python tools/train.py configs/pretrain/simclr_r18-tiny_fmnist.py`
    writes (it named work_dirs/simclr_r18-tiny_fmnist/, a folder no run
    writes to)."""
    pre = load_config('configs/pretrain/simclr_r18-tiny_fmnist.py')
    ce = load_config('configs/baselines/ce_r18-tiny_simclr_fmnist.py')
    written = osp.join(
        default_work_dir('configs/pretrain/simclr_r18-tiny_fmnist.py'),
        f'epoch_{pre.train_cfg.max_epochs}.pth')
    assert osp.normpath(ce.model.backbone.init_cfg.checkpoint) == \
        osp.normpath(written)


def load_config(path):
    return Config.fromfile(osp.join(ROOT, path))
