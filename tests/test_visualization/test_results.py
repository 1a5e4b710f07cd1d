"""mmctune.visualization.results: each figure draws the numbers it is given
(bar heights, error bars, reference lines, curves and points read back from
the matplotlib artists), and drawing changes nothing global."""
import math
import statistics

import numpy as np
import pytest
from matplotlib.container import BarContainer

from mmctune.visualization import (gains_figure, hcsc_figure, mean_std,
                                   paired_gains, save_figure, step_cost_figure,
                                   top1_figure, tsne_embedding, tsne_figure)
from ..conftest import run_python

# {method: {panel: {seed: top1}}}; +mix lacks seed 1 at 10%
# yapf: disable
RESULTS = {
    'CE-tuning': {
        '1% labels': {0: 78.1, 1: 78.4, 2: 78.3},
        '10% labels': {0: 79.0, 1: 78.7, 2: 79.2},
    },
    'SCL (+L_con)': {
        '1% labels': {0: 80.0, 1: 80.5, 2: 79.9},
        '10% labels': {0: 81.0, 1: 81.3, 2: 80.9},
    },
    '+mix': {
        '1% labels': {0: 80.3, 1: 80.4, 2: 80.4},
        '10% labels': {0: 81.9, 2: 81.5},
    },
    'Core-tuning': {
        '1% labels': {0: 81.0, 1: 81.5, 2: 81.3},
        '10% labels': {0: 82.5, 1: 83.1, 2: 82.6},
    },
}
# yapf: enable


def bar_container(ax):
    (bars, ) = [c for c in ax.containers if isinstance(c, BarContainer)]
    return bars


def bars_of(ax):
    """(x centre, height) of each bar of the axes' bar container."""
    return [(p.get_x() + p.get_width() / 2, p.get_height())
            for p in bar_container(ax).patches]


def error_lengths(ax):
    """(x, half length) of each vertical error bar of the bar container."""
    segments = bar_container(ax).errorbar.lines[2][0].get_segments()
    return [(s[0][0], (s[1][1] - s[0][1]) / 2) for s in segments]


def line_labelled(ax, prefix):
    lines = [ln for ln in ax.lines if ln.get_label().startswith(prefix)]
    assert len(lines) == 1, [ln.get_label() for ln in ax.lines]
    return lines[0]


def test_top1_bars_are_the_means_over_seeds_and_errors_their_std():
    fig = top1_figure(RESULTS, 'CE-tuning', highlight='Core-tuning')
    axes = fig.axes
    assert [ax.get_title().split(' (')[0]
            for ax in axes] == ['1% labels', '10% labels']
    names = list(RESULTS)
    # the methods under the last axes (the same x for every axes)
    assert [t.get_text() for t in axes[-1].get_xticklabels()] == names
    for ax in axes:
        panel = ax.get_title().split(' (')[0]
        assert list(ax.get_xticks()) == [0, 1, 2, 3]
        runs = [list(RESULTS[n][panel].values()) for n in names]
        assert len(bars_of(ax)) == len(error_lengths(ax)) == 4
        for (x, height), i, values in zip(bars_of(ax), range(4), runs):
            assert x == pytest.approx(i)
            assert height == pytest.approx(statistics.mean(values))
        for (x, half), values in zip(error_lengths(ax), runs):
            assert half == pytest.approx(statistics.stdev(values))
        # CE-tuning's level: its mean, across the whole axes
        ce_mean = statistics.mean(RESULTS['CE-tuning'][panel].values())
        ce = line_labelled(ax, 'CE-tuning')
        assert list(ce.get_ydata()) == pytest.approx([ce_mean, ce_mean])
        assert ce.get_label() == f'CE-tuning: {ce_mean:.2f}'
        colors = [p.get_facecolor() for p in bar_container(ax).patches]
        assert colors[0] != colors[1] == colors[2] != colors[3]
    # the printed values are the means too
    labels = [t.get_text() for t in axes[1].texts]
    assert labels == [
        f'{statistics.mean(RESULTS[n]["10% labels"].values()):.2f}'
        for n in names
    ]


def test_top1_of_one_seed_has_no_error_bars_and_one_panel():
    fig = top1_figure(
        {
            'CE-tuning': {
                '6,000 labels': {
                    0: 85.02
                }
            },
            'Core-tuning': {
                '6,000 labels': {
                    0: 86.86
                }
            }
        }, 'CE-tuning')
    (ax, ) = fig.axes
    assert bar_container(ax).errorbar is None
    assert [h for _, h in bars_of(ax)] == [85.02, 86.86]
    assert line_labelled(ax, 'CE-tuning').get_ydata()[0] == 85.02
    assert 'one seed' in ax.get_title()


def test_gains_are_paired_by_seed():
    fig = gains_figure(RESULTS, 'CE-tuning')
    names = ['SCL (+L_con)', '+mix', 'Core-tuning']
    assert [t.get_text() for t in fig.axes[-1].get_xticklabels()] == names
    for ax in fig.axes:
        panel = ax.get_title().split(':')[0]
        ce = RESULTS['CE-tuning'][panel]
        diffs = [[v - ce[s] for s, v in RESULTS[n][panel].items()]
                 for n in names]
        assert len(bars_of(ax)) == len(error_lengths(ax)) == 3
        for (x,
             height), (_,
                       half), d in zip(bars_of(ax), error_lengths(ax), diffs):
            assert height == pytest.approx(statistics.mean(d))
            assert half == pytest.approx(statistics.stdev(d))
        assert set(line_labelled(ax, 'CE-tuning').get_ydata()) == {0}
    # +mix at 10%: seeds 0 and 2 only, paired with CE-tuning's 0 and 2 (not
    # its mean over 3 seeds)
    ax = fig.axes[1]
    assert bars_of(ax)[1][1] == pytest.approx(
        ((81.9 - 79.0) + (81.5 - 79.2)) / 2)
    assert bars_of(ax)[1][1] != pytest.approx(
        statistics.mean([81.9, 81.5]) -
        statistics.mean(RESULTS['CE-tuning']['10% labels'].values()))
    assert paired_gains({0: 2.0, 5: 1.0}, {0: 1.5, 1: 0.0}) == [0.5]
    assert mean_std([3.0]) == (3.0, 0.0)


def test_step_cost_bars_are_the_stored_ratios():
    rows = [
        dict(name='CE-tuning', paired_ratio=1.0, memory_ratio=1.0),
        dict(name='L2-SP', paired_ratio=1.037, memory_ratio=1.045),
        dict(name='Freeze k stages', paired_ratio=0.81, memory_ratio=None),
        dict(name='Core-tuning', paired_ratio=1.014, memory_ratio=1.002),
    ]
    fig = step_cost_figure(rows, highlight='Core-tuning')
    time_ax, memory_ax = fig.axes
    assert bars_of(time_ax) == [(0, 1.0), (1, 1.037), (2, 0.81), (3, 1.014)]
    # no memory bar where none was measured: said, at its place
    assert bars_of(memory_ax) == [(0, 1.0), (1, 1.045), (3, 1.002)]
    assert [(t.get_position()[0], t.get_text()) for t in memory_ax.texts
            if t.get_text() == 'n/a'] == [(2, 'n/a')]
    for ax in fig.axes:
        assert set(line_labelled(ax, 'CE-tuning').get_ydata()) == {1}
    # without memory ratios, one axes
    fig = step_cost_figure([dict(name='a', paired_ratio=1.0)])
    assert len(fig.axes) == 1


def test_hcsc_curves_are_the_epochs_values():
    epochs = [{'hcsc/train_time': 159.0}]
    for e in range(3):
        record = {'hcsc/train_time': 160.0 + e, 'hcsc/cluster_time': 50.0 + e}
        for level in range(3):
            record[f'hcsc/tn_precision_l{level}'] = 0.9 + 0.01 * level + e
            record[f'hcsc/fn_precision_l{level}'] = 0.12 + 0.01 * level - e
        epochs.append(record)
    fig = hcsc_figure(epochs)
    time_ax, kept_ax, removed_ax = fig.axes
    train, cluster = time_ax.containers
    assert [p.get_height() for p in train] == [159.0, 160.0, 161.0, 162.0]
    assert [p.get_x() + p.get_width() / 2
            for p in train] == pytest.approx([0.8, 1.8, 2.8, 3.8])
    # no clustering in the warm-up epoch: no bar at epoch 1
    assert [p.get_height() for p in cluster] == [50.0, 51.0, 52.0]
    assert [p.get_x() + p.get_width() / 2
            for p in cluster] == pytest.approx([2.2, 3.2, 4.2])
    for ax, key in ((kept_ax, 'tn_precision'), (removed_ax, 'fn_precision')):
        assert [ln.get_label() for ln in ax.lines] == ['l0', 'l1', 'l2']
        for level, line in enumerate(ax.lines):
            assert list(line.get_xdata()) == [1, 2, 3, 4]
            y = list(line.get_ydata())
            assert math.isnan(y[0])
            assert y[1:] == [
                epochs[e][f'hcsc/{key}_l{level}'] for e in (1, 2, 3)
            ]


def test_tsne_points_and_colours_are_the_given_ones():
    rng = np.random.default_rng(0)
    labels = [0, 1, 2, 1, 0, 2]
    points = {
        'CE-tuning': rng.normal(size=(6, 2)),
        'Core-tuning': rng.normal(size=(6, 2))
    }
    fig = tsne_figure(points, labels, ['top', 'trouser', 'pullover'])
    axes = [ax for ax in fig.axes]
    assert [ax.get_title() for ax in axes
            ] == ['CE-tuning (6 images)', 'Core-tuning (6 images)']
    for ax, pts in zip(axes, points.values()):
        np.testing.assert_allclose(ax.collections[0].get_offsets(), pts)
    # one colour per label, the same in both
    colours = [ax.collections[0].get_facecolors()[:, :3] for ax in axes]
    np.testing.assert_array_equal(colours[0], colours[1])
    assert (colours[0][0] == colours[0][4]).all()
    assert (colours[0][0] != colours[0][1]).any()
    assert [t.get_text() for t in fig.legends[0].get_texts()
            ] == ['top', 'trouser', 'pullover']
    with pytest.raises(ValueError, match='CE-tuning'):
        tsne_figure({'CE-tuning': np.zeros((5, 2))}, labels)


def test_tsne_embedding_keeps_separated_groups_apart():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 30)
    features = rng.normal(size=(60, 16)) + 8 * labels[:, None]
    points = tsne_embedding(features, seed=0)
    assert points.shape == (60, 2)
    np.testing.assert_array_equal(points, tsne_embedding(features, seed=0))
    # each point's nearest neighbour in the plane is of its group
    dist = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(dist, np.inf)
    assert (labels[dist.argmin(1)] == labels).all()


def test_drawing_changes_nothing_global(tmp_path):
    """No pyplot, no backend chosen, no rcParams changed: the figure is
    written by the Agg renderer all the same (a small PNG)."""
    out = tmp_path / 'sub' / 'top1.png'
    code = f'''
import sys
import matplotlib
rc = matplotlib.rcParams
# (rcParams['backend'] would choose a backend, importing pyplot)
before = {{k: rc._get(k) for k in rc}}
backend = rc._get_backend_or_none()
from mmctune.visualization import save_figure, top1_figure
fig = top1_figure({RESULTS!r}, 'CE-tuning')
save_figure(fig, {str(out)!r})
assert 'matplotlib.pyplot' not in sys.modules
assert {{k: rc._get(k) for k in rc}} == before
assert rc._get_backend_or_none() == backend is None
print('ok')
'''
    r = run_python(code)
    assert r.returncode == 0 and 'ok' in r.stdout, r.stdout[-2000:]
    data = out.read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) < 100_000
    path = save_figure(
        gains_figure(RESULTS, 'CE-tuning'), str(tmp_path / 'gains.svg'))
    assert open(path).read().lstrip().startswith('<?xml')
