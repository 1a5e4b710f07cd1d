"""step_time.py, miner_scaling.py, dist_throughput.py and run_all.sh of
.dev_scripts/benchmarks/: each runs and prints its table (no timing is
asserted: speed is judged by the benchmark's ratios, not by tests)."""
import json
import os.path as osp
import re

import pytest

from mmctune.apis import list_settings, setting_models
from ..conftest import ROOT, run_python
from .bench_loader import load_bench, script

ROW = (r'^\| (configs/\S+) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| '
       r'([\d.]+) \| ([\d.]+) \|$')
MEM_ROW = (r'^\| (configs/\S+) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| '
           r'[\d.]+ \| [\d.]+ \| ([\d.]+|n/a \(frozen parameters\)) \| '
           r'([\d.]+|-) \|$')


@pytest.mark.parametrize('extra', [[], ['--head-only']])
def test_step_time_prints_ratios(extra, tmp_path):
    out = tmp_path / 'cost.json'
    r = run_python(args=[
        script('step_time.py'), '--batch-size', '4', '--img-size', '32',
        '--steps', '1', '--warmup', '0', '--out',
        str(out), *extra
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    rows = re.findall(ROW, r.stdout, re.M)
    assert len(rows) == 2
    assert rows[0][1:] == ('1.000', '1.000')
    # --out stores what the table prints, unrounded, with each config's
    # method and role in the model index (plot_results.py's figure)
    stored = json.load(open(out))
    assert [(s['config'], f'{s["ratio_of_medians"]:.3f}',
             f'{s["paired_ratio"]:.3f}') for s in stored['rows']] == rows
    assert [(s['method'], s['role'])
            for s in stored['rows']] == [('CE-tuning', 'reference'),
                                         ('Core-tuning', 'proposed')]
    assert stored['rows'][0]['paired_ratio'] == 1.0
    assert stored['batch_size'] == 4 and stored['img_size'] == 32
    assert stored['what'] == ('the head alone'
                              if extra else 'one training step')


def test_step_time_of_every_method(tiny_fmnist, capsys):
    """Every method's demo config, CE-tuning first (Bi-tuning with its two
    views, DELTA with its reference forward), on real-format Fashion-MNIST
    images, with the peak memory of a step."""
    r = run_python(args=[
        script('step_time.py'), '--methods', 'fmnist', '--batch-size', '6',
        '--img-size', '28', '--steps', '1', '--warmup', '0', '--memory',
        '--fmnist-root', tiny_fmnist
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    assert '(Fashion-MNIST images)' in r.stdout
    rows = re.findall(MEM_ROW, r.stdout, re.M)
    names = [row[0].split('/')[-2:] for row in rows]
    # the fine-tuning methods of the model index's setting, in its order
    assert [osp.join(ROOT, row[0])
            for row in rows] == [m.config for m in setting_models('fmnist')]
    assert [n[0] for n in names] == [
        'baselines', 'baselines', 'bituning', 'bss', 'coin', 'cotuning',
        'delta', 'drtune', 'ema', 'freeze', 'ftp', 'l2sp', 'llrd', 'lp_ft',
        'lwf', 'mm', 'noisytune', 'rifle', 'stochnorm', 'tpgm', 'coretune'
    ]
    assert names[1][1].startswith('scl_')
    mem = {
        n[0]: float(row[2])
        for n, row in zip(names[2:], rows[2:]) if row[2][0].isdigit()
    }
    # torch's tracker cannot hook a frozen parameter: said, not guessed
    assert 'freeze' not in mem and len(mem) == len(names) - 3
    assert rows[0][2] == '1.000'
    # L2-SP holds the starting weights, Bi-tuning a momentum encoder and
    # queues, DELTA a reference network: each needs more than CE-tuning
    assert mem['l2sp'] > 1 and mem['bituning'] > 1 and mem['delta'] > 1
    assert mem['lwf'] > 1 and mem['cotuning'] > 1  # reference; prototypes
    assert mem['ftp'] > 1  # the anchor, in the optimizer's state
    refused(
        ['--fmnist-root', tiny_fmnist, '--batch-size', '2', '--steps', '1'],
        '--fmnist-root needs 1-channel', capsys)


def refused(argv, message, capsys):
    """step_time.py exits with ``message`` for ``argv`` (in this process:
    a second interpreter only to fail costs seconds)."""
    step_time = load_bench('step_time')
    with pytest.raises(SystemExit) as e:
        step_time.main(argv)
    assert e.value.code != 0
    assert message in capsys.readouterr().err


def test_step_peak_memory_sees_what_a_step_allocates():
    """A step that allocates and frees 40 MB in its forward: the peak holds
    it, the parameters and the momentum (the gradients are freed between
    steps and made after the 40 MB is gone), and little else."""
    import torch
    from mmengine.model import BaseModel
    from mmengine.optim import OptimWrapper
    step_peak_memory = load_bench('step_time').step_peak_memory

    class Toy(BaseModel):

        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(100, 100)

        def forward(self, x, data_samples=None, mode='loss'):
            big = torch.ones(10_000_000)  # 40 MB, freed before the return
            return dict(loss=self.fc(x).sum() + big[0] * 0)

    model = Toy()
    wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    batch = dict(x=torch.ones(2, 100))
    model.train_step(batch, wrapper)  # the momentum exists from here on
    peak = step_peak_memory(model, wrapper, batch)
    params = 4 * sum(p.numel() for p in model.parameters())
    assert 40e6 + 2 * params <= peak <= 40e6 + 2 * params + 10e3


def test_step_time_of_segmentation(capsys):
    """DeepLabV3 with and without the contrastive regulariser, on masks
    made by the benchmark, padded to its image size."""
    r = run_python(args=[
        script('step_time.py'), '--methods', 'seg', '--batch-size', '2',
        '--img-size', '33', '--steps', '1', '--warmup', '0'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    rows = re.findall(ROW, r.stdout, re.M)
    assert [row[0] for row in rows] == [
        'configs/seg/deeplabv3_r50_moco_ce_voc12aug.py',
        'configs/seg/deeplabv3_r50_moco_coretune_voc12aug.py'
    ]
    assert rows[0][1:] == ('1.000', '1.000')
    refused([
        '--configs',
        osp.join(ROOT, 'configs/baselines/ce_r18-tiny_simclr_fmnist.py'),
        osp.join(ROOT, 'configs/seg/deeplabv3_r18-tiny_ce_stardist.py')
    ], 'mix classification and segmentation', capsys)


def test_step_time_settings_come_from_the_method_table(capsys):
    """--methods takes the settings of the model index; each gives its
    fine-tuning methods' configs, CE-tuning first; the default pair is
    the index's CIFAR-10 CE-tuning and Core-tuning."""
    step_time = load_bench('step_time')
    for setting in list_settings():
        configs = step_time.method_configs(setting)
        if setting == 'fmnist-pretrain':  # pre-trainings, no fine-tuning
            assert configs == []
            continue
        assert osp.join(ROOT, configs[0]) == setting_models(setting)[0].config
        assert len(configs) >= 2
        assert all(osp.isfile(osp.join(ROOT, c)) for c in configs)
    assert step_time.method_configs('seg') == [
        'configs/seg/deeplabv3_r50_moco_ce_voc12aug.py',
        'configs/seg/deeplabv3_r50_moco_coretune_voc12aug.py'
    ]
    assert step_time.default_configs() == [
        'configs/baselines/ce_r50_moco_cifar10.py',
        'configs/coretune/r50_moco_cifar10.py'
    ]
    with pytest.raises(SystemExit):
        step_time.main(['--methods', 'cifar11'])
    err = capsys.readouterr().err
    assert all(repr(s) in err for s in list_settings())
    with pytest.raises(SystemExit):
        step_time.main(['--methods', 'fmnist-pretrain'])
    assert 'not two or more to compare' in capsys.readouterr().err


def test_miner_scaling_grows_with_the_batch():
    r = run_python(args=[
        script('miner_scaling.py'), '--batches', '64', '256', '--repeats', '1'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    rows = re.findall(
        r'^\| (\d+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|',
        r.stdout, re.M)
    assert [row[0] for row in rows] == ['64', '256']
    # the pairwise similarities: 4x the batch needs more than 4x the memory
    assert float(rows[1][4]) > 4 * float(rows[0][4])
    assert float(rows[1][2]) > 4 * float(rows[0][2])


def test_dist_throughput_one_and_two_processes(tiny_fmnist):
    r = run_python(
        args=[
            script('dist_throughput.py'), '--fmnist-root', tiny_fmnist,
            '--batch-size', '4', '--steps', '1', '--warmup', '0'
        ],
        timeout=240)
    assert r.returncode == 0, r.stdout[-3000:]
    rows = re.findall(r'^\| ([12]) \| (\d+) \| (\d+) \|', r.stdout, re.M)
    assert rows == [('1', '2', '4'),
                    ('2', '1', '8')] or rows == [('1', '1', '4'),
                                                 ('2', '1', '8')]
    # 4 images x (128 features + 10 labels) from the other rank, twice
    assert '| 2 | 4 kB (4 x 138 floats from each of 1 other rank(s), twice)' \
        in r.stdout


def test_run_all_refuses_unknown_arguments():
    import subprocess
    r = subprocess.run(['bash', script('run_all.sh'), '--quik'],
                       capture_output=True,
                       text=True)
    assert r.returncode == 2
    assert 'unknown argument --quik' in r.stderr


def test_step_time_guard_flags_a_ratio_above_its_band(tmp_path, monkeypatch,
                                                      capsys):
    """--guard: Core-tuning / CE-tuning at each guard setting beside its FLOP
    floor; --accept stores the figures; a run above the accepted ratio by
    more than its band says REGRESSION and exits 1."""
    import yaml
    step_time = load_bench('step_time')
    assert step_time.guard_verdict(1.05, dict(ratio=1.02, band=0.04)) == 'ok'
    assert step_time.guard_verdict(1.07, dict(ratio=1.02,
                                              band=0.04)) == 'REGRESSION'
    accepted = tmp_path / 'accepted.yml'
    monkeypatch.setattr(step_time, 'ACCEPTED_FILE', str(accepted))
    monkeypatch.setitem(
        step_time.BENCHMARK, 'guard',
        dict(settings={
            'tiny':
            dict(img_size=32, batch_size=2, steps=1, warmup=0, band=0.5)
        }))
    rows = step_time.main(['--guard', '--accept'])
    (name, ratio, floor, was, verdict), = rows
    assert name == 'tiny' and verdict == 'no accepted figure'
    # Core-tuning's projector and mixed features: more operations than
    # CE-tuning's step, never fewer
    assert floor > 1
    stored = yaml.safe_load(accepted.read_text())
    assert stored['settings']['tiny'] == dict(
        ratio=round(ratio, 3), flop_ratio=round(floor, 4), band=0.5)
    # the commit whose figures they are, which the regression message names
    # for step_time_commits.py --ops
    import subprocess
    head = subprocess.run(['git', 'rev-parse', 'HEAD'],
                          cwd=ROOT,
                          capture_output=True,
                          text=True).stdout.strip()
    assert stored['commit'] == head and len(head) == 40
    assert 'floating-point operations of one step' in capsys.readouterr().out
    # an accepted figure far below this run's: flagged, loudly
    stored['settings']['tiny'].update(ratio=0.1, band=0.01)
    accepted.write_text(yaml.safe_dump(stored))
    with pytest.raises(SystemExit) as e:
        step_time.main(['--guard'])
    assert e.value.code == 1
    out = capsys.readouterr().out
    assert '!!! REGRESSION: tiny' in out
    assert (f'.dev_scripts/benchmarks/step_time_commits.py {head} HEAD --ops'
            in out)
    refused(['--accept'], '--accept needs --guard', capsys)
    # a guard run of other configs or sizes would be compared with the
    # accepted Core-tuning / CE-tuning figures: refused
    refused(['--guard', '--img-size', '64'], 'takes no --img-size', capsys)
    refused(['--guard', '--methods', 'fmnist'], 'takes no --methods', capsys)
    refused(
        ['--guard', '--out', str(tmp_path / 'cost.json')], 'takes no --out',
        capsys)


def test_step_profile_counts_each_operator_a_step_dispatches():
    """step_time_commits.py --ops: a model that applies one more ReLU in
    its forward differs from the other by exactly that ReLU, what autograd
    keeps of it and its backward; the same model twice by nothing."""
    import torch
    from mmengine.model import BaseModel
    from mmengine.optim import OptimWrapper
    bench = load_bench('step_time_commits')

    class Toy(BaseModel):

        def __init__(self, relus):
            super().__init__()
            torch.manual_seed(0)
            self.fc = torch.nn.Linear(6, 3)
            self.relus = relus

        def forward(self, x, data_samples=None, mode='loss'):
            y = self.fc(x)
            for _ in range(self.relus):
                y = torch.relu(y)
            return dict(loss=y.sum())

    def profile(relus):
        model = Toy(relus)
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
        return bench.step_profile(model, wrapper, dict(x=torch.ones(5, 6)))

    (one, calls_one), (two, calls_two) = profile(1), profile(2)
    assert bench.op_differences(one, profile(1)[0]) == []
    assert bench.op_differences(one, two) == [
        # autograd keeps each ReLU's output for its backward: 2 detaches
        ('aten.detach.default [(5, 3)]', 2, 4),
        ('aten.relu.default [(5, 3)]', 1, 2),
        ('aten.threshold_backward.default [(5, 3), (5, 3)]', 1, 2),
    ]
    assert one['aten.addmm.default [(3,), (5, 6), (6, 3)]'] == 1
    assert calls_two > calls_one > 0


def test_loop_overhead_times_the_plain_and_the_prefetching_loop(
        tiny_fmnist, capsys):
    """loop_overhead.py prints loop / bare for the plain loop and the
    prefetching one, each over the epoch of ``--iters`` batches."""
    bench = load_bench('loop_overhead')
    ratios = bench.main([
        '--data-root', tiny_fmnist, '--iters', '2', '--rounds', '2',
        '--batch-size', '8', '--prefetch'
    ])
    assert list(ratios) == [
        'EpochBasedTrainLoop', 'BenchPrefetchEpochBasedTrainLoop'
    ]
    assert all(r > 0 for r in ratios.values())
    out = capsys.readouterr().out
    assert re.findall(r'\(medians of (\d+) and (\d+)\)', out) == [
        ('1', '1'), ('1', '1')
    ]  # 2 iterations a round, the first one of the timed round dropped
    assert 'loop, next batch prefetched' in out


def test_a_step_includes_the_work_of_hooks_after_each_step():
    """TPGM's radii and projection run after every training step, so
    step_time.py's step includes them (the hook's bench_step): after two
    steps the backbone is within its learned radii of where it started,
    and the head, which TPGM leaves free, is not pulled back."""
    import torch
    step_time = load_bench('step_time')
    from mmctune.utils import register_all_modules
    register_all_modules()
    model, wrapper = step_time.build('configs/tpgm/r18-tiny_simclr_fmnist.py',
                                     'cpu')
    hook, = step_time.STEP_HOOKS[id(model)]
    assert type(hook).__name__ == 'TPGMHook'
    assert step_time.STEP_HOOKS[id(
        step_time.build('configs/baselines/ce_r18-tiny_simclr_fmnist.py',
                        'cpu')[0])] == []
    batch = step_time.make_batch(8, 28, 10, channels=1)
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    hook.bench_setup(model, batch)
    for _ in range(2):
        step_time.train_step(model, wrapper, batch)
    assert hook.started and hook._bench_iter == 2
    for name, radius in hook.radii.items():
        moved = (model.state_dict()[name] - start[name]).abs()
        rows = moved.sum(dim=tuple(range(1, moved.dim()))) \
            if moved.dim() > 1 else moved.sum().reshape(1)
        bound = float(radius.detach()) * (1 + 1e-3)  # float32 sums
        assert float(rows.max()) <= bound, name
    assert not torch.equal(model.head.fc.weight, start['head.fc.weight'])
