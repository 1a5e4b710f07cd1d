"""Compare training runs iteration by iteration, from the record that
``TrainDiagnosticsHook`` wrote in each (``finetune_table.py --diagnose``):
why one seed or one method ends lower than its neighbours.

    python .dev_scripts/benchmarks/diagnose_runs.py \\
        work_dirs/benchmarks/finetune_mbv2_12k/final/*/10%_*_diagnosed \\
        --out work_dirs/benchmarks/diagnose.png

Prints, per run (its folder's last two parts name it): its test top-1
(``result.json``), each loss term over the first and the last ``--window``
iterations, the largest gradient norm of each part of the model and its
iteration, the median one, how far each part moved from its start, and
BN's running
statistics against the start, at the end. Then, for the runs of one seed,
whether they saw the same batches (``batch_crc``). ``--out`` draws the
curves of the loss terms, the backbone's gradient norm and distance, and
BN's variance ratio, one line per run (a colour per method, a line style
per seed).
"""
import argparse
import glob
import json
import os.path as osp
import statistics
import sys


def load_run(folder):
    """(records, top-1 or None) of the run in ``folder``: the newest
    ``diagnostics.jsonl`` under it."""
    files = sorted(glob.glob(osp.join(folder, '*', 'diagnostics.jsonl')))
    if not files:
        raise SystemExit(f'{folder}: no diagnostics.jsonl in its time-stamped '
                         'folders; run it with finetune_table.py --diagnose '
                         '(or custom_hooks=[dict(type="TrainDiagnosticsHook")'
                         '])')
    with open(files[-1]) as f:
        records = [json.loads(line) for line in f if line.strip()]
    if not records:
        raise SystemExit(f'{files[-1]}: empty (did the run train?)')
    top1 = None
    result = osp.join(folder, 'result.json')
    if osp.isfile(result):
        with open(result) as f:
            top1 = json.load(f).get('top1')
    return records, top1


def run_name(folder):
    parts = osp.normpath(folder).split(osp.sep)
    return '/'.join(parts[-2:])


def seed_of(folder):
    name = osp.basename(osp.normpath(folder))
    for part in name.split('_'):
        if part.startswith('seed') and part[4:].isdigit():
            return int(part[4:])
    return None


def mean_of(records, key):
    values = [r[key] for r in records if r.get(key) is not None]
    return statistics.mean(values) if values else None


def fmt(value, spec='.3f'):
    return '-' if value is None else format(value, spec)


def tables(runs, window):
    """The tables: the loss terms, the parts of the model, BN."""
    losses = sorted({
        k
        for records, _ in runs.values()
        for k in records[0] if k.startswith('loss')
    })
    parts = sorted({
        k.split('/', 1)[1]
        for records, _ in runs.values()
        for k in records[0] if k.startswith('grad_norm/')
    })
    lines = [
        f'Loss terms, mean over the first and the last {window} iterations',
        '',
        '| run | top-1 | iterations | ' + ' | '.join(f'{k} first → last'
                                                     for k in losses) + ' |',
        '|---|---|---|' + '---|' * len(losses),
    ]
    for name, (records, top1) in runs.items():
        cells = [
            f'{fmt(mean_of(records[:window], k))} → '
            f'{fmt(mean_of(records[-window:], k))}' for k in losses
        ]
        lines.append(f'| {name} | {fmt(top1, ".2f")} | {len(records)} | ' +
                     ' | '.join(cells) + ' |')
    lines += [
        '', 'Each part of the model: the largest gradient norm (at iteration),'
        ' the median one, and its distance from the start at the end '
        '(relative)', '',
        '| run | ' + ' | '.join(f'{p} max grad (iter) | {p} median grad | '
                                f'{p} moved' for p in parts) + ' |',
        '|---|' + '---|---|---|' * len(parts)
    ]
    for name, (records, _) in runs.items():
        cells = []
        for p in parts:
            grads = [(r.get(f'grad_norm/{p}'), r['iter']) for r in records
                     if r.get(f'grad_norm/{p}') is not None]
            g, it = max(grads) if grads else (None, None)
            median = statistics.median(g for g, _ in grads) if grads else None
            cells.append(f'{fmt(g)} ({it}) | {fmt(median)} | '
                         f'{fmt(records[-1].get(f"dist/{p}"), ".4f")}')
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    lines += [
        '', 'BN running statistics against the start, at the end', '',
        '| run | mean shift (in start std) | abs log variance ratio |',
        '|---|---|---|'
    ]
    for name, (records, _) in runs.items():
        last = records[-1]
        lines.append(f'| {name} | {fmt(last.get("bn/mean_shift"))} | '
                     f'{fmt(last.get("bn/var_log_ratio"))} |')
    return '\n'.join(lines)


def same_batches(folders, runs):
    """A line per seed with two or more runs: did they see the same
    batches in the same order?"""
    by_seed = {}
    for folder in folders:
        by_seed.setdefault(seed_of(folder), []).append(run_name(folder))
    lines = []
    for seed, names in sorted(by_seed.items(), key=lambda kv: str(kv[0])):
        if seed is None or len(names) < 2:
            continue
        crcs = {n: [r.get('batch_crc') for r in runs[n][0]] for n in names}
        first = crcs[names[0]]
        differ = [n for n in names[1:] if crcs[n] != first]
        lines.append(f'seed {seed}: ' + (
            f'{len(names)} runs saw the same {len(first)} batches in the '
            'same order' if not differ else
            f'{", ".join(differ)} saw other batches than {names[0]}'))
    return '\n'.join(lines)


def draw(runs, out):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    panels = [('loss_ce', 'loss_ce (classifier on the originals)'),
              ('grad_norm/backbone', 'backbone gradient norm'),
              ('dist/backbone', 'backbone distance from the start'),
              ('bn/var_log_ratio', 'BN |log variance ratio|')]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.2))
    # a colour per method (the run folder's parent), a line style per seed
    methods = list(dict.fromkeys(name.split('/')[0] for name in runs))
    seeds = sorted({seed_of(name) for name in runs}, key=str)
    styles = ['-', '--', ':', '-.']
    for ax, (key, title) in zip(axes, panels):
        for name, (records, top1) in runs.items():
            xs = [r['iter'] for r in records if r.get(key) is not None]
            ys = [r[key] for r in records if r.get(key) is not None]
            seed = seed_of(name)
            label = name.split('/')[0] + (f' seed {seed}'
                                          if seed is not None else '')
            if top1 is not None:
                label += f' ({top1:.2f})'
            ax.plot(
                xs,
                ys,
                lw=1,
                label=label,
                color=f'C{methods.index(name.split("/")[0]) % 10}',
                ls=styles[seeds.index(seed) % len(styles)])
        if key.startswith('grad_norm/'):
            ax.set_yscale('log')
        ax.set_title(title, fontsize=9)
        ax.set_xlabel('iteration', fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out, dpi=72)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('runs', nargs='+', help='run folders')
    parser.add_argument(
        '--window',
        type=int,
        default=10,
        help='iterations averaged at the start and at the end (default 10)')
    parser.add_argument('--out', help='draw the curves to this PNG')
    args = parser.parse_args(argv)
    runs = {run_name(f): load_run(f) for f in args.runs}
    print(tables(runs, args.window))
    lines = same_batches(args.runs, runs)
    if lines:
        print('\n' + lines)
    if args.out:
        draw(runs, args.out)
        print(f'\ncurves: {args.out}')
    return runs


if __name__ == '__main__':
    sys.exit(main() and 0)
