"""Every leaf config states its batch as GPUs x batch per GPU = total in a
header line, and the line agrees with what the config loads: the per-GPU
``train_dataloader.batch_size`` and the recipe's total
``auto_scale_lr.base_batch_size`` (which tools/train.py keeps on any number
of processes)."""
import glob
import os.path as osp
import re

import pytest

from ..conftest import ROOT, load_config

LEAVES = sorted(
    p for p in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)
HEADER = re.compile(r'^# batch: (\d+) (GPUs?) x (\d+) = (\d+) '
                    r'\(auto_scale_lr\.base_batch_size\)$')


def parse_header(text):
    """(gpus, per_gpu, total) of the one header line, asserting its form."""
    lines = [ln for ln in text.splitlines() if ln.startswith('# batch:')]
    assert len(lines) == 1, f'one "# batch: ..." line expected, got {lines}'
    match = HEADER.match(lines[0])
    assert match, f'not of the form "# batch: 1 GPU x 256 = 256 ' \
        f'(auto_scale_lr.base_batch_size)": {lines[0]!r}'
    gpus, word, per_gpu, total = match.groups()
    gpus, per_gpu, total = int(gpus), int(per_gpu), int(total)
    assert word == ('GPU' if gpus == 1 else 'GPUs'), lines[0]
    return gpus, per_gpu, total


def test_the_header_form_is_parsed():
    assert parse_header('# x\n# batch: 2 GPUs x 8 = 16 '
                        '(auto_scale_lr.base_batch_size)\n') == (2, 8, 16)
    for bad in ('# batch: 1 GPUs x 8 = 8 (auto_scale_lr.base_batch_size)',
                '# batch: 8 (auto_scale_lr.base_batch_size)', ''):
        with pytest.raises(AssertionError):
            parse_header(bad)


def test_leaves_found():
    assert len(LEAVES) > 200


@pytest.mark.parametrize('path', LEAVES, ids=lambda p: osp.relpath(p, ROOT))
def test_batch_header_agrees_with_the_config(path):
    with open(path) as f:
        gpus, per_gpu, total = parse_header(f.read())
    cfg = load_config(path)
    assert 'auto_scale_lr' in cfg and 'base_batch_size' in cfg.auto_scale_lr
    assert cfg.auto_scale_lr.base_batch_size == total
    assert cfg.train_dataloader.batch_size == per_gpu
    assert gpus * per_gpu == total
    # every shipped config is a one-GPU recipe (batch_size == the total), so
    # tools/train.py's rule keeps the total on any number of GPUs
    # (mmctune.utils.launch.fit_total_batch), but for those that ship a
    # paper's multi-GPU layout, which name it as mmpretrain does
    # (hcsc_r50_8xb32-200e_in1k.py: 8 GPUs x 32, where the per-GPU batch
    # matters: shuffle-BN)
    layout = re.search(r'_(\d+)xb(\d+)', osp.basename(path))
    if gpus > 1:
        assert layout and (int(layout[1]), int(layout[2])) == \
            (gpus, per_gpu), f'a {gpus}-GPU config names its layout'
    else:
        assert (gpus, per_gpu) == (1, total)
        if layout:
            assert (int(layout[1]), int(layout[2])) == (1, total)


def test_multi_gpu_layouts_are_the_papers():
    """The configs that ship a multi-GPU layout: HCSC's official 8 x 32."""
    multi = []
    for path in LEAVES:
        with open(path) as f:
            gpus, per_gpu, total = parse_header(f.read())
        if gpus > 1:
            multi.append((osp.relpath(path, ROOT), gpus, per_gpu))
    assert multi == [('configs/pretrain/hcsc_r50_8xb32-200e_in1k.py', 8, 32)]
