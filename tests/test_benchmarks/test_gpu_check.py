""".dev_scripts/benchmarks/gpu_check.py: its dry run (the same code on the
CPU at tiny sizes) writes the report with every table's rows and columns;
without CUDA and without --dry-run it refuses in one line; a failing part
is reported and makes the exit status 1. No time is asserted."""
import argparse
import re

import pytest
import torch

from ..conftest import run_python
from .bench_loader import load_bench, script


def gpu_check():
    return load_bench('gpu_check')


def tables(report):
    """{section title: (header, rows)} of a report, cells split."""
    out = {}
    for section in re.split(r'^## \d+\. ', report, flags=re.M)[1:]:
        title = section.splitlines()[0]
        lines = [ln for ln in section.splitlines() if ln.startswith('|')]
        cells = [[c.strip() for c in ln.strip('|').split('|')] for ln in lines]
        out[title] = (cells[0], cells[2:])
    return out


def number(cell):
    return float(cell)


def test_dry_run_writes_every_table(tmp_path):
    out = tmp_path / 'report.md'
    r = run_python(
        args=[script('gpu_check.py'), '--dry-run', '--out',
              str(out)],
        timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    report = out.read_text()
    assert report in r.stdout  # printed and written
    assert 'DRY RUN' in report
    found = tables(report)
    assert list(found) == [
        'One training step: CE-tuning and Core-tuning',
        "Core-tuning's miner and loss alone",
        'Distributed: torchrun, gather_distributed=True'
    ]

    header, rows = found['One training step: CE-tuning and Core-tuning']
    assert len(header) == 8 and header[0] == 'precision'
    assert [row[0] for row in rows
            ] == ['fp32', 'bf16', 'fp16', 'bf16, channels-last']
    for row in rows:
        assert len(row) == 8
        ce_s, ce_ips, core_s, core_ips, ratio, ce_mb, core_mb = map(
            number, row[1:])
        # images/s is the batch (8) over the median step (both rounded)
        assert ce_ips == pytest.approx(8 / ce_s, rel=2e-3, abs=0.051)
        assert core_ips == pytest.approx(8 / core_s, rel=2e-3, abs=0.051)
        assert ratio > 0 and ce_mb > 0
        # Core-tuning holds a projector and the generated pairs more
        assert core_mb > ce_mb
    assert ('configs/baselines/ce_r18-tiny_simclr_fmnist.py and '
            'configs/coretune/r18-tiny_simclr_fmnist.py') in report

    header, rows = found["Core-tuning's miner and loss alone"]
    assert header[:5] == [
        'batch', 'miner ms', 'miner peak MB', 'head loss + backward ms',
        'head peak MB'
    ]
    assert [row[0] for row in rows] == ['16', '32', '64']
    peaks = [number(row[4]) for row in rows]
    assert peaks == sorted(peaks) and peaks[0] > 0
    assert [row[7] for row in rows] == ['1', '4', '16']

    header, rows = found['Distributed: torchrun, gather_distributed=True']
    assert header[:6] == [
        'processes', 'backend', 'device', 'batch per process', 'global batch',
        'miner saw'
    ]
    assert [row[:6] for row in rows] == [
        ['1', 'gloo', 'CPU', '8', '8', '8'],
        ['2', 'gloo', 'CPU', '8', '16', '16'],  # the global batch is mined
    ]
    assert [row[-1] for row in rows] == ['yes', 'yes']
    assert '## Verdict\n\nEvery part ran and passed its checks.' in report


def test_refuses_a_machine_without_cuda(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    out = tmp_path / 'report.md'
    with pytest.raises(SystemExit) as e:
        gpu_check().main(['--out', str(out)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1  # one line
    assert 'no CUDA device' in err and '--dry-run' in err
    assert not out.exists()


def test_strong_weights_fine_tune_ce_and_core(tmp_path, tiny_fmnist):
    """--strong-weights: finetune_table.py's strong-weights setting, CE vs
    Core-tuning, images resized by --cfg-options (16 px in the dry run),
    the result as a table of the report."""
    from mmpretrain.models import MobileNetV2
    torch.manual_seed(0)
    ckpt = tmp_path / 'mbv2.pth'
    torch.save({'state_dict': MobileNetV2(widen_factor=1.0).state_dict()},
               ckpt)
    tool = gpu_check()
    out = tmp_path / 'report.md'
    _, args = tool.parse_args([
        '--dry-run', '--strong-weights', '--mbv2-checkpoint',
        str(ckpt), '--fmnist-root', tiny_fmnist, '--strong-images', '64'
    ])
    cmd = tool.strong_command(args, str(tmp_path / 'w'), 224)
    assert cmd[cmd.index('--setting') + 1] == 'imagenet-mbv2-12k'
    assert cmd[cmd.index('--rows') + 1:cmd.index('--rows') +
               3] == ['CE-tuning', 'Core-tuning']
    assert 'train_dataloader.dataset.dataset.pipeline.2.scale=(224,224)' \
        in cmd
    section = tool.strong_part(args, str(out))
    assert section['problems'] == [], section
    assert [r[0] for r in section['rows']] == ['CE-tuning', 'Core-tuning']
    assert all(0 <= float(r[1]) <= 100 for r in section['rows'])
    # the runs were given the 16 px resize, and ran
    import glob
    import json
    with open(tmp_path / 'strong_weights' / 'results.json') as f:
        options = json.load(f)['args']['cfg_options']
    assert tuple(options['test_dataloader.dataset.pipeline.0.scale']) == (16,
                                                                          16)
    assert len(
        glob.glob(
            str(tmp_path / 'strong_weights' / 'final' / '**' / 'result.json'),
            recursive=True)) == 2


def test_a_failing_part_is_reported_and_exits_1(monkeypatch, tmp_path, capsys):
    tool = gpu_check()

    def broken(device, sizes):
        raise RuntimeError('no kernel image is available')

    monkeypatch.setattr(tool, 'miner_part', broken)
    out = tmp_path / 'report.md'
    with pytest.raises(SystemExit) as e:
        tool.main(['--dry-run', '--parts', 'miner', '--out', str(out)])
    assert e.value.code == 1
    report = out.read_text()
    assert '## 1. miner: FAILED' in report
    assert ('1 problem(s):\n- miner: RuntimeError: no kernel image is '
            'available') in report


def test_distributed_checks(monkeypatch):
    """The dist table flags a miner that did not see the global batch,
    weights that differ between ranks, and a torchrun that failed."""
    tool = gpu_check()
    results = {
        1:
        dict(
            world=1,
            backend='gloo',
            device='CPU',
            batch=8,
            global_batch=8,
            miner_saw=8,
            s_per_step=0.5,
            weights_equal=True,
            loss_finite=True),
        2:
        dict(
            world=2,
            backend='gloo',
            device='CPU',
            batch=8,
            global_batch=16,
            miner_saw=8,
            s_per_step=0.5,
            weights_equal=False,
            loss_finite=False),
    }
    monkeypatch.setattr(tool, 'launch', lambda w, args, sizes: results[w])
    args = argparse.Namespace(dry_run=True, batch_size=None)
    section = tool.dist_part(args, tool.sizes_of(args))
    # twice the images in the same time: perfect scaling
    assert section['rows'][1][8:] == ['1.00', 'NO']
    assert section['problems'] == [
        'dist: 2 process(es): the miner saw 8 features, not the global '
        'batch 16',
        "dist: 2 process(es): the ranks' weights differ after the steps",
        'dist: 2 process(es): a non-finite loss',
    ]
    results[2] = dict(error='torchrun exit code 1: NCCL error')
    section = tool.dist_part(args, tool.sizes_of(args))
    assert section['rows'][1][2] == 'FAILED: torchrun exit code 1: NCCL error'
    assert section['problems'] == [
        'dist: 2 process(es): torchrun exit code 1: NCCL error'
    ]


def test_worker_error_names_the_exception_or_where_a_worker_hung():
    worker_error = gpu_check().worker_error
    assert worker_error(
        'Traceback (most recent call last):\n  File "x.py", line 1\n'
        'RuntimeError: NCCL error in: init.cc\nexit 1\n') == \
        'RuntimeError: NCCL error in: init.cc'
    dump = ('Timeout (0:01:30)!\nThread 0x1 (most recent call first):\n'
            '  File "/t/distributed_c10d.py", line 4, in barrier\n'
            '  File "/t/gpu_check.py", line 540 in dist_worker\n'
            '  File "/t/gpu_check.py", line 700 in main\n')
    assert worker_error(dump) == (
        'a worker hung in File "/t/distributed_c10d.py", line 4, in barrier,'
        ' from File "/t/gpu_check.py", line 540 in dist_worker')


def test_out_of_memory_is_a_note_not_a_failure(monkeypatch, tmp_path):
    """A batch the GPU cannot hold ends the miner table with an 'out of
    memory' row and a note; the verdict still passes (exit status 0)."""
    tool = gpu_check()
    peak_mb = tool.peak_mb
    calls = []

    def peak_or_oom(fn, device):
        calls.append(fn)
        if len(calls) > 4:  # the third batch (two calls per batch)
            raise torch.cuda.OutOfMemoryError('CUDA out of memory.')
        return peak_mb(fn, device)

    monkeypatch.setattr(tool, 'peak_mb', peak_or_oom)
    out = tmp_path / 'report.md'
    sections = tool.main(['--dry-run', '--parts', 'miner', '--out', str(out)])
    assert [row[:2]
            for row in sections[0]['rows']][2] == ['64', 'out of memory']
    assert sections[0]['problems'] == []
    assert sections[0]['notes'] == ['miner: out of memory at batch 64']
    report = out.read_text()
    assert ('Every part ran and passed its checks.\n\nNot measured (not a '
            'failure of the install):\n- miner: out of memory at batch 64'
            ) in report
