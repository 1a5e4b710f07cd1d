""".dev_scripts/benchmarks/plot_results.py: the figures are drawn from the
stored result files (fixture files written here), each figure's numbers
read back from its matplotlib artists; a figure whose file is missing is
skipped with the command that makes it."""
import json
import math
import os
import statistics

import pytest
from matplotlib.container import BarContainer

from .bench_loader import load_bench

plot = load_bench('plot_results')

TOP1 = {  # (method, fraction) -> {seed: top1}
    ('CE-tuning', 0.01): {0: 78.1, 1: 78.4, 2: 78.3},
    ('CE-tuning', 0.1): {0: 79.0, 1: 78.7, 2: 79.2},
    ('SCL (+L_con)', 0.01): {0: 80.0, 1: 80.6, 2: 79.9},
    ('SCL (+L_con)', 0.1): {0: 81.0, 1: 81.3, 2: 80.8},
    ('Core-tuning', 0.01): {0: 81.0, 1: 81.5, 2: 81.2},
    ('Core-tuning', 0.1): {0: 82.5, 1: 83.1, 2: 82.6},
}
HCSC = [{
    'hcsc/train_time': 159.0
}] + [{
    'hcsc/train_time': 160.0 + e,
    'hcsc/cluster_time': 55.7 - e,
    **{
        f'hcsc/tn_precision_l{lv}': 0.9 + 0.001 * (e + lv)
        for lv in range(3)
    },
    **{
        f'hcsc/fn_precision_l{lv}': 0.125 + 0.01 * (e - lv)
        for lv in range(3)
    },
} for e in range(3)]
COST = [('CE-tuning', 'reference', 1.0, 1.0),
        ('L2-SP', 'baseline', 1.0371, 1.0452),
        ('Freeze k stages', 'baseline', 0.8123, None),
        ('Core-tuning', 'proposed', 1.0144, 1.0021)]


def write_results(work):
    """Result files as the benchmarks store them, under ``work``: the
    simclr-r18-tiny setting's results.json and tsne.json, step_time.py's
    cost.json and pretrain_table.py's pretrain_table.json (no MobileNetV2
    settings)."""
    folder = work / 'finetune'
    folder.mkdir(parents=True)
    final = [[n, f, s, v] for (n, f), runs in TOP1.items()
             for s, v in runs.items()]
    (folder / 'results.json').write_text(
        json.dumps(
            dict(
                args=dict(reference='CE-tuning', proposed='Core-tuning'),
                probe={},
                final=final)))
    tsne = dict(
        setting='simclr-r18-tiny',
        fraction=0.1,
        seed=0,
        labels=[0, 1, 1, 0, 2],
        classes=['T-shirt/top', 'Trouser', 'Pullover'],
        points={
            'CE-tuning': [[0.5, 1.0], [2.0, -1.0], [3.25, 0.0], [1.0, 1.5],
                          [-4.0, 2.0]],
            'Core-tuning': [[9.0, 1.0], [2.0, 5.0], [-3.0, 0.5], [1.0, 0.0],
                            [-1.0, -2.0]]
        })
    (folder / 'tsne.json').write_text(json.dumps(tsne))
    rows = [
        dict(
            config=f'configs/{n}.py',
            method=n,
            role=role,
            paired_ratio=ratio,
            memory_ratio=memory) for n, role, ratio, memory in COST
    ]
    (work / 'cost.json').write_text(
        json.dumps(
            dict(
                what='one training step',
                batch_size=128,
                img_size=28,
                images='Fashion-MNIST images',
                device='CPU, 2 threads',
                rows=rows)))
    (work / 'pretrain_table').mkdir()
    (work / 'pretrain_table' / 'pretrain_table.json').write_text(
        json.dumps(dict(args={}, results=dict(hcsc=HCSC), times={})))
    return tsne


def bars(ax):
    (container, ) = [c for c in ax.containers if isinstance(c, BarContainer)]
    return container


def test_figures_are_drawn_from_the_stored_results(tmp_path, monkeypatch,
                                                   capsys):
    work, out = tmp_path / 'work', tmp_path / 'figures'
    tsne = write_results(work)
    figures = {}
    save = plot.save_figure

    def keep(fig, path):
        figures[os.path.basename(path)] = fig
        return save(fig, path)

    monkeypatch.setattr(plot, 'save_figure', keep)
    written = plot.main(['--work-dir', str(work), '--out', str(out)])
    names = [
        'simclr-r18-tiny_top1.png', 'simclr-r18-tiny_gains.png',
        'simclr-r18-tiny_tsne.png', 'step_cost.png', 'hcsc.png'
    ]
    assert sorted(os.path.basename(p) for p in written) == sorted(names)
    assert sorted(os.listdir(out)) == sorted(names)
    for name in names:  # small files
        data = (out / name).read_bytes()
        assert data[:4] == b'\x89PNG' and 5_000 < len(data) < 100_000, name
    printed = capsys.readouterr().out
    assert (f'drew {out}/simclr-r18-tiny_top1.png from '
            f'{work}/finetune/results.json') in printed
    # the settings without results: skipped, with the command that makes
    # them
    for setting, folder in (('imagenet-mbv2', 'finetune_mbv2'),
                            ('imagenet-mbv2-12k', 'finetune_mbv2_12k')):
        for kind in ('top1', 'gains', 'tsne'):
            assert f'skipped {setting}_{kind}: {work}/{folder}/' in printed
        assert (f'finetune_table.py --setting {setting} --work-dir '
                f'{work}/{folder} --stages tune final tsne') in printed

    # top-1: a bar at each method's mean, an error bar of its std over
    # seeds, CE-tuning's mean as the dashed line
    methods = ['CE-tuning', 'SCL (+L_con)', 'Core-tuning']
    for ax, fraction in zip(figures['simclr-r18-tiny_top1.png'].axes,
                            (0.01, 0.1)):
        assert ax.get_title().startswith(f'{fraction * 100:g}% labels')
        container = bars(ax)
        runs = [list(TOP1[(m, fraction)].values()) for m in methods]
        assert [p.get_height() for p in container
                ] == pytest.approx([statistics.mean(r) for r in runs])
        segments = container.errorbar.lines[2][0].get_segments()
        assert [(s[1][1] - s[0][1]) / 2 for s in segments
                ] == pytest.approx([statistics.stdev(r) for r in runs])
        (ce, ) = [ln for ln in ax.lines if ln.get_label().startswith('CE')]
        assert ce.get_ydata()[0] == pytest.approx(statistics.mean(runs[0]))
    # gains: seed-paired differences with CE-tuning
    for ax, fraction in zip(figures['simclr-r18-tiny_gains.png'].axes,
                            (0.01, 0.1)):
        ce = TOP1[('CE-tuning', fraction)]
        diffs = [[v - ce[s] for s, v in TOP1[(m, fraction)].items()]
                 for m in methods[1:]]
        container = bars(ax)
        assert [p.get_height() for p in container
                ] == pytest.approx([statistics.mean(d) for d in diffs])
        segments = container.errorbar.lines[2][0].get_segments()
        assert [(s[1][1] - s[0][1]) / 2 for s in segments
                ] == pytest.approx([statistics.stdev(d) for d in diffs])
    # step cost: the stored ratios, Freeze's memory not measured
    time_ax, memory_ax = figures['step_cost.png'].axes
    assert [p.get_height() for p in bars(time_ax)] == [c[2] for c in COST]
    assert [p.get_height()
            for p in bars(memory_ax)] == [c[3] for c in COST if c[3]]
    assert [t.get_text()
            for t in memory_ax.get_xticklabels()] == [c[0] for c in COST]
    assert [p.get_x() + p.get_width() / 2
            for p in bars(memory_ax)] == pytest.approx([0, 1, 3])
    # HCSC: the clustering seconds and the precisions of each epoch
    time_ax, kept_ax, removed_ax = figures['hcsc.png'].axes
    assert [p.get_height() for p in time_ax.containers[1]
            ] == [r['hcsc/cluster_time'] for r in HCSC[1:]]
    for ax, key in ((kept_ax, 'tn'), (removed_ax, 'fn')):
        for level, line in enumerate(ax.lines):
            y = list(line.get_ydata())
            assert math.isnan(y[0]) and y[1:] == [
                r[f'hcsc/{key}_precision_l{level}'] for r in HCSC[1:]
            ]
    # t-SNE: the stored points of each model
    for ax, (name, points) in zip(figures['simclr-r18-tiny_tsne.png'].axes,
                                  tsne['points'].items()):
        assert ax.get_title().startswith(name)
        assert ax.collections[0].get_offsets().tolist() == points


def test_missing_results_are_named_with_their_commands(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        plot.main([
            '--work-dir',
            str(tmp_path / 'none'), '--out',
            str(tmp_path / 'figures')
        ])
    assert e.value.code == 1
    out, err = capsys.readouterr()
    assert f'no result file under {tmp_path}/none: nothing drawn' in err
    assert (f'skipped step_cost: {tmp_path}/none/cost.json not found; made '
            'by: python .dev_scripts/benchmarks/step_time.py') in out
    assert (f'skipped hcsc: {tmp_path}/none/pretrain_table/'
            'pretrain_table.json not found; made by: python '
            '.dev_scripts/benchmarks/pretrain_table.py') in out
    assert not (tmp_path / 'figures').exists()
