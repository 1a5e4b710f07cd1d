""".dev_scripts/benchmarks/pretrain_table.py: the reuse of finished
pre-trainings and their time, the random reference encoder, and the report's
paired gains and rank correlations, on hand-made results (the steps
themselves are the repository's tools, tested on their own)."""
import os
import os.path as osp

import pytest
import torch

from ..conftest import ROOT
from .bench_loader import load_bench

pt = load_bench('pretrain_table')


def args_of(tmp_path, *extra):
    return pt.parse_args(
        ['--work-dir',
         str(tmp_path), '--data-root',
         osp.join(ROOT, 'tests')] + list(extra))


def test_every_pretraining_config_exists_with_the_same_budget():
    """The pre-trainings are the model index's setting fmnist-pretrain, in
    its order, each with the benchmarks' SimCLR budget; the fine-tuning
    rows are its reference and proposed methods."""
    from mmengine.config import Config
    assert {
        n: k
        for n, (k, _) in pt.METHODS.items()
    } == {
        'SimCLR': 'simclr',
        'HCSC': 'hcsc',
        'TCL': 'tcl'
    }
    assert list(pt.METHODS) == ['SimCLR', 'HCSC', 'TCL']
    assert pt.ROWS == ('CE-tuning', 'Core-tuning')
    assert pt.PROBE_CONFIG == 'configs/linear_probe/r18-tiny_fmnist.py'
    budgets = set()
    for key, config in pt.METHODS.values():
        cfg = Config.fromfile(osp.join(ROOT, config))
        budgets.add(
            (cfg.train_cfg.max_epochs, cfg.train_dataloader.batch_size))
    assert budgets == {(4, 256)}


def test_arguments_are_checked(tmp_path, capsys):
    with pytest.raises(SystemExit):
        pt.parse_args(['--data-root', str(tmp_path / 'nowhere')])
    assert 'not found' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        args_of(tmp_path, '--methods', 'HCSC', '--no-random')
    assert 'two or more candidates' in capsys.readouterr().err
    args = args_of(tmp_path, '--methods', 'HCSC', '--stages', 'knn',
                   '--no-random')
    assert args.candidates == ['HCSC']


def write_log(work_dir, stamps):
    run_dir = osp.join(work_dir, '20261128_101010')
    os.makedirs(run_dir)
    with open(osp.join(run_dir, '20261128_101010.log'), 'w') as f:
        f.write('a line without a time\n')
        for s in stamps:
            f.write(f'{s} - mmengine - INFO - Epoch(train) ...\n')


def dump_config(work_dir, name, data_root, **dataset):
    """mmengine's copy of the config that a run in ``work_dir`` trained."""
    from mmengine.config import Config
    config = pt.METHODS[name][1]
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.train_dataloader.dataset.update(data_root=data_root, **dataset)
    cfg.dump(osp.join(str(work_dir), osp.basename(config)))


def test_a_finished_pretraining_is_reused_with_the_time_its_log_shows(
        tmp_path, monkeypatch):
    args = args_of(tmp_path, '--methods', 'SimCLR', 'TCL')
    for key in ('simclr', 'tcl'):
        work_dir = tmp_path / 'pretrain' / key
        work_dir.mkdir(parents=True)
        (work_dir / 'epoch_4.pth').write_bytes(b'x')
        (work_dir / 'last_checkpoint').write_text(
            str(work_dir / 'epoch_4.pth'))
    dump_config(tmp_path / 'pretrain' / 'simclr', 'SimCLR', args.data_root)
    dump_config(tmp_path / 'pretrain' / 'tcl', 'TCL', args.data_root)
    write_log(
        str(tmp_path / 'pretrain' / 'simclr'),
        ['2026/11/28 23:59:00', '2026/11/29 00:01:30'])  # over midnight
    # TCL stopped after epoch 3: it is resumed, not reused
    (tmp_path / 'pretrain' / 'tcl' / 'last_checkpoint').write_text(
        str(tmp_path / 'pretrain' / 'tcl' / 'epoch_3.pth'))
    (tmp_path / 'pretrain' / 'tcl' / 'epoch_3.pth').write_bytes(b'x')
    calls = []

    def fake_run(cmd, log, what):
        calls.append(cmd)
        return 12.0

    monkeypatch.setattr(pt, 'run', fake_run)
    out = pt.pretrain_stage(args)
    assert out['SimCLR'] == dict(
        checkpoint=str(tmp_path / 'pretrain' / 'simclr' / 'epoch_4.pth'),
        seconds=150.0,
        reused=True,
        epochs=4)
    assert len(calls) == 1 and 'tcl_r18-tiny_fmnist_4e.py' in ' '.join(
        calls[0]) and calls[0][-1] == '--resume'
    assert out['TCL']['reused'] is False and out['TCL']['seconds'] == 12.0


def test_the_random_encoder_is_seeded_and_loads_strictly(tmp_path):
    from mmengine.config import Config

    from mmctune.models.utils import extract_state_dict, load_state_dict_strict
    from mmctune.registry import MODELS
    args = args_of(tmp_path)
    path = pt.random_checkpoint(args)
    first = torch.load(path, weights_only=False)['state_dict']
    os.remove(path)
    second = torch.load(
        pt.random_checkpoint(args), weights_only=False)['state_dict']
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)
    cfg = Config.fromfile(osp.join(ROOT, pt.PROBE_CONFIG))
    cfg.model.backbone.init_cfg = None
    backbone = MODELS.build(cfg.model.backbone)
    load_state_dict_strict(backbone,
                           extract_state_dict(
                               dict(state_dict=first),
                               'backbone.'))  # raises on a mismatch


def fake_results(args):
    """Two seeds; Core-tuning's gain over CE-tuning differs by seed."""
    ce = {'0': 70.0, '1': 72.0}
    finetune = {}
    for i, name in enumerate(args.candidates):
        final = {}
        for f in args.fractions:
            final[f'CE-tuning {f:g}'] = {s: v + i for s, v in ce.items()}
            final[f'Core-tuning {f:g}'] = {'0': 71.0 + i, '1': 75.0 + i}
        finetune[name] = dict(probe=60.0 + i, final=final, seconds=1.0)
    knn = {
        name:
        dict(
            metrics={
                **{
                    f'knn/top1_k{k}': 50.0 + i
                    for k in pt.KS
                }, 'knn/top1_best': 50.0 + i
            },
            seconds=1.0)
        for i, name in enumerate(args.candidates)
    }
    # logme follows the accuracies, hscore runs against them
    rank = dict(
        scores={
            n: dict(logme=float(i), hscore=-float(i))
            for i, n in enumerate(args.candidates)
        },
        samples=6000,
        seconds=1.0)
    return dict(finetune=finetune, knn=knn, rank=rank)


def test_report_pairs_gains_by_seed_and_correlates_ranks(tmp_path):
    args = args_of(tmp_path, '--seeds', '0', '1', '--fractions', '0.1')
    results = fake_results(args)
    text = pt.report(args, results, {'kNN': 61.0})
    # gains 1 and 3 (paired by seed): mean 2, std 1.41
    assert ('| HCSC | 61.00 | 72.00 ± 1.41 | 74.00 ± 2.83 | +2.00 ± 1.41 |'
            in text.splitlines())
    corr = results['rank_correlation']
    for target in corr.values():
        assert target['logme'] == pytest.approx((1.0, 1.0))
        assert target['hscore'] == pytest.approx((-1.0, -1.0))
    assert '| kNN | 1 min 1 s |' in text


def test_a_pretraining_of_another_config_is_refused(tmp_path, monkeypatch):
    """A --quick run's checkpoint (1,024 images) is not the full run's: the
    stage refuses it, naming the differing section, rather than reuse it."""
    key, config = pt.METHODS['SimCLR']
    work_dir = tmp_path / 'pretrain' / key
    work_dir.mkdir(parents=True)
    (work_dir / 'epoch_4.pth').write_bytes(b'x')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_4.pth'))
    monkeypatch.setattr(pt, 'run', lambda *a: pytest.fail('ran'))
    args = args_of(tmp_path, '--methods', 'SimCLR', '--no-random', '--stages',
                   'pretrain')
    with pytest.raises(RuntimeError, match='not the config that made it'):
        pt.pretrain_stage(args)
    dump_config(
        work_dir, 'SimCLR', args.data_root,
        indices=1024)  # what --quick trains on
    with pytest.raises(
            RuntimeError,
            match=r"differs .* in \['train_dataloader.dataset'\]"):
        pt.pretrain_stage(args)
    assert pt.pretrain_stage(
        pt.parse_args(['--quick'] + [
            str(a) for a in ('--work-dir', tmp_path, '--data-root',
                             args.data_root, '--methods', 'SimCLR',
                             '--no-random', '--stages', 'pretrain')
        ]))['SimCLR']['reused']
    assert pt.parse_args(['--quick', '--data-root',
                          args.data_root]).work_dir.startswith(
                              osp.join('work_dirs', 'benchmarks-quick'))


def test_hcsc_statistics_join_a_resumed_run(tmp_path):
    """Epochs 1-2 in the interrupted run, 2 (again) and 3 in the resumed
    one: one record per epoch, the later one for epoch 2."""
    import json
    for run, records in (('20261128_100000', [(1, 10.0), (2, 11.0)]),
                         ('20261128_110000', [(2, 12.0), (3, 13.0)])):
        vis = tmp_path / run / 'vis_data'
        vis.mkdir(parents=True)
        with open(vis / 'scalars.json', 'w') as f:
            f.write(json.dumps(dict(lr=0.1, step=7)) + '\n')  # not HCSC's
            for step, t in records:
                f.write(
                    json.dumps({
                        'hcsc/train_time': t,
                        'step': step
                    }) + '\n')
    rows = pt.hcsc_statistics(str(tmp_path))
    assert [(r['step'], r['hcsc/train_time']) for r in rows] == [(1, 10.0),
                                                                 (2, 12.0),
                                                                 (3, 13.0)]
