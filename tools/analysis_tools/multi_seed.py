"""Run a config for several seeds, or collect finished runs, and print a
markdown table of mean ± std per method and dataset: the way the papers
report "averaged over 3 runs".

    # train CONFIG with seeds 0 1 2 (work dirs ROOT/<method>/<dataset>/seed_S)
    python tools/analysis_tools/multi_seed.py run CONFIG --seeds 0 1 2 \
        [--root work_dirs/seeds] [--train-args --cfg-options ...]
    # the table of everything under ROOT, or of the work dirs given
    python tools/analysis_tools/multi_seed.py collect --root work_dirs/seeds
    python tools/analysis_tools/multi_seed.py collect DIR [DIR ...]

A run's figure is its last validation value of ``--metric`` (default
``accuracy/top1``; ``--best`` takes the best instead), read from the
scalars mmengine writes.
"""
import argparse
import glob
import json
import os.path as osp
import re
import statistics
import subprocess
import sys
from collections import defaultdict

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def method_and_dataset(config):
    """``configs/coretune/r50_moco_cifar10.py`` -> ('coretune', 'cifar10');
    ``configs/baselines/ce_r50_moco_dtd.py`` -> ('ce', 'dtd')."""
    name = osp.splitext(osp.basename(config))[0]
    folder = osp.basename(osp.dirname(osp.abspath(config)))
    parts = name.split('_')
    dataset = parts[-1]
    method = parts[0] if folder in ('baselines', 'label_fraction') or \
        not re.match(r'^(r|x|deit)\d', parts[0]) else folder
    if folder == 'label_fraction':
        method = f'{parts[0]} ({parts[-1]})'
        dataset = parts[-2]
    return method, dataset


def run(args):
    method, dataset = method_and_dataset(args.config)
    for seed in args.seeds:
        work = osp.join(args.root, method, dataset, f'seed_{seed}')
        cmd = [
            sys.executable,
            osp.join(ROOT, 'tools', 'train.py'), args.config, '--work-dir',
            work, '--cfg-options', f'randomness.seed={seed}'
        ] + args.train_args
        print('+', ' '.join(cmd), flush=True)
        subprocess.run(cmd, check=True)
    args.dirs = [osp.join(args.root, method, dataset)]
    return collect(args)


def run_value(work_dir, metric, best):
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    values = []
    for path in files:
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        values += [r[metric] for r in records if metric in r]
    if not values:
        return None
    return max(values) if best else values[-1]


def collect(args):
    if args.dirs:
        work_dirs = []
        for d in args.dirs:
            seeds = sorted(glob.glob(osp.join(d, 'seed_*')))
            work_dirs += seeds or [d]
    else:
        work_dirs = sorted(glob.glob(osp.join(args.root, '*', '*',
                                              'seed_*')))
    if not work_dirs:
        raise FileNotFoundError('no runs found (give work dirs or --root)')
    table = defaultdict(list)
    for wd in work_dirs:
        value = run_value(wd, args.metric, args.best)
        if value is None:
            print(f'skipped {wd}: no {args.metric}', file=sys.stderr)
            continue
        parts = osp.normpath(wd).split(osp.sep)
        if parts[-1].startswith('seed_') and len(parts) >= 3:
            key = (parts[-3], parts[-2])
        else:
            key = (parts[-1], '-')
        table[key].append(value)
    if not table:
        raise RuntimeError(f'none of the runs logged {args.metric}')
    methods = sorted({m for m, _ in table})
    datasets = sorted({d for _, d in table})
    lines = [
        f'{args.metric} ({"best" if args.best else "last"} validation), '
        'mean ± std over runs (n)',
        '| method | ' + ' | '.join(datasets) + ' |',
        '|---|' + '---|' * len(datasets)
    ]
    for m in methods:
        cells = []
        for d in datasets:
            vals = table.get((m, d))
            if not vals:
                cells.append('')
                continue
            std = statistics.stdev(vals) if len(vals) > 1 else 0.0
            cells.append(f'{statistics.mean(vals):.2f} ± {std:.2f} '
                         f'({len(vals)})')
        lines.append(f'| {m} | ' + ' | '.join(cells) + ' |')
    print('\n'.join(lines))
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    p_run = sub.add_parser('run', help='train a config for several seeds')
    p_run.add_argument('config')
    p_run.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p_run.add_argument('--root', default='work_dirs/seeds')
    p_run.add_argument(
        '--train-args', nargs=argparse.REMAINDER, default=[],
        help='the rest is passed to tools/train.py')
    p_col = sub.add_parser('collect', help='tabulate finished runs')
    p_col.add_argument('dirs', nargs='*')
    p_col.add_argument('--root', default='work_dirs/seeds')
    for p in (p_run, p_col):
        p.add_argument('--metric', default='accuracy/top1')
        p.add_argument('--best', action='store_true')
    args = parser.parse_args(argv)
    return run(args) if args.command == 'run' else collect(args)


if __name__ == '__main__':
    main()
