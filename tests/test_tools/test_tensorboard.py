"""TensorBoard beside the local visualisation backend, as
docs/get_started.md tells users to add it: both write the same scalars,
and plot_curves.py still plots the run."""
import glob
import json
import os
import os.path as osp
import re
import shutil

import pytest

from ..conftest import ROOT, run_python, write_tiny_config
from .tool_loader import load_tool

pytest.importorskip('tensorboard')


def doc_snippet():
    """The config snippet of docs/get_started.md that adds TensorBoard."""
    with open(osp.join(ROOT, 'docs', 'get_started.md')) as f:
        blocks = re.findall(r'```python\n(.*?)```', f.read(), re.S)
    snippet, = [b for b in blocks if 'TensorboardVisBackend' in b]
    return snippet


def test_tensorboard_beside_the_local_backend(tmp_path, tiny_fmnist, capsys):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    cfg = write_tiny_config(
        tmp_path / 'tb.py', tiny_fmnist, extra=doc_snippet())
    work = tmp_path / 'work'
    # with docs/evaluation.md's options for every iteration's own loss
    r = run_python(args=[
        osp.join(ROOT, 'tools', 'train.py'), cfg, '--work-dir',
        str(work), '--cfg-options', 'log_processor.window_size=1',
        'default_hooks.logger.interval=1'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    vis, = glob.glob(str(work / '*' / 'vis_data'))
    events = glob.glob(osp.join(vis, 'events.out.tfevents.*'))
    assert len(events) == 1
    with open(osp.join(vis, 'scalars.json')) as f:
        records = [json.loads(line) for line in f if line.strip()]
    train = [r for r in records if 'loss' in r]
    assert [r['step'] for r in train] == [1, 2, 3, 4]  # 64 images, batch 16
    # TensorBoard holds the same scalars as the local backend
    acc = EventAccumulator(vis)
    acc.Reload()
    for key in ('loss', 'lr'):
        tb = [(e.step, e.value) for e in acc.Scalars(key)]
        assert tb == [(r['step'], pytest.approx(r[key])) for r in train]
    assert acc.Scalars('accuracy/top1')[0].value == pytest.approx(
        records[-1]['accuracy/top1'])
    # plot_curves.py plots the run, each point one iteration's loss
    plot_curves = load_tool('analysis_tools/plot_curves.py')
    drawn = plot_curves.main([str(work), '--out', str(tmp_path / 'c.png')])
    assert drawn[0] == ('loss', 'training losses: per iteration', 'iteration')
    # a run with TensorBoard only (the local backend replaced): no
    # scalars.json, and plot_curves.py says what to do
    only = tmp_path / 'tb_only'
    shutil.copytree(work, only)
    for path in glob.glob(str(only / '*' / 'vis_data' / '*.json')):
        os.remove(path)
    with pytest.raises(
            FileNotFoundError,
            match='TensorBoard only.*tensorboard --logdir.*'
            'LocalVisBackend beside TensorboardVisBackend'):
        plot_curves.main([str(only), '--out', str(tmp_path / 'd.png')])
