"""The benchmark runs and prints its table (no timing is asserted: speed is
judged by the benchmark's ratios, not by tests)."""
import os.path as osp
import re

import pytest

from ..conftest import ROOT, run_python


@pytest.mark.parametrize('extra', [[], ['--head-only']])
def test_step_time_prints_ratios(extra):
    r = run_python(args=[
        osp.join(ROOT, 'tools/benchmarks/step_time.py'), '--batch-size', '4',
        '--img-size', '32', '--steps', '1', '--warmup', '0', *extra
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    rows = re.findall(r'^\| configs/\S+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| '
                      r'([\d.]+) \| ([\d.]+) \|$', r.stdout, re.M)
    assert len(rows) == 2
    assert rows[0] == ('1.000', '1.000')
