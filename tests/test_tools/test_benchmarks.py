"""The benchmark runs and prints its table (no timing is asserted: speed is
judged by the benchmark's ratios, not by tests)."""
import os.path as osp
import re

import pytest

from ..conftest import ROOT, run_python


ROW = (r'^\| (configs/\S+) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| '
       r'([\d.]+) \| ([\d.]+) \|$')


@pytest.mark.parametrize('extra', [[], ['--head-only']])
def test_step_time_prints_ratios(extra):
    r = run_python(args=[
        osp.join(ROOT, 'tools/benchmarks/step_time.py'), '--batch-size', '4',
        '--img-size', '32', '--steps', '1', '--warmup', '0', *extra
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    rows = re.findall(ROW, r.stdout, re.M)
    assert len(rows) == 2
    assert rows[0][1:] == ('1.000', '1.000')


def test_step_time_of_every_method():
    """Every method's demo config, CE-tuning first (Bi-tuning with its two
    views, DELTA with its reference forward)."""
    r = run_python(args=[
        osp.join(ROOT, 'tools/benchmarks/step_time.py'), '--methods',
        'fmnist', '--batch-size', '6', '--img-size', '28', '--steps', '1',
        '--warmup', '0'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    rows = re.findall(ROW, r.stdout, re.M)
    names = [row[0].split('/')[1] for row in rows]
    assert names == [
        'baselines', 'coretune', 'l2sp', 'delta', 'bss', 'rifle', 'mm',
        'bituning', 'noisytune', 'coin'
    ]
    assert rows[0][1:] == ('1.000', '1.000')


def test_step_time_of_segmentation():
    """DeepLabV3 with and without the contrastive regulariser, on masks
    made by the benchmark, padded to its image size."""
    r = run_python(args=[
        osp.join(ROOT, 'tools/benchmarks/step_time.py'), '--methods', 'seg',
        '--batch-size', '2', '--img-size', '33', '--steps', '1', '--warmup',
        '0'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    rows = re.findall(ROW, r.stdout, re.M)
    assert [row[0] for row in rows] == [
        'configs/seg/deeplabv3_r50_moco_ce_voc12aug.py',
        'configs/seg/deeplabv3_r50_moco_coretune_voc12aug.py'
    ]
    assert rows[0][1:] == ('1.000', '1.000')
    bad = run_python(args=[
        osp.join(ROOT, 'tools/benchmarks/step_time.py'), '--configs',
        'configs/baselines/ce_r18-tiny_simclr_fmnist.py',
        'configs/seg/deeplabv3_r18-tiny_ce_stardist.py'
    ])
    assert bad.returncode != 0
    assert 'mix classification and segmentation' in bad.stdout
