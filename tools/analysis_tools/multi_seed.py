"""Run a config for several seeds, or collect finished runs, and print a
markdown table of mean ± std per method and dataset: the way the papers
report "averaged over 3 runs".

    # train CONFIG with seeds 0 1 2 (work dirs ROOT/<method>/<dataset>/seed_S)
    python tools/analysis_tools/multi_seed.py run CONFIG --seeds 0 1 2 \
        [--root work_dirs/seeds] [--cfg-options KEY=VALUE ...] [--jobs 1]
    # the table of everything under ROOT, or of the work dirs given
    python tools/analysis_tools/multi_seed.py collect --root work_dirs/seeds
    python tools/analysis_tools/multi_seed.py collect DIR [DIR ...]

``run`` is a sweep of ``mmctune.apis.sweep``: each seed's run writes
``result.json`` in its work dir, and a second ``run`` with the same config
and options reuses the finished seeds (a changed config trains them
again). ``<method>`` is the method's key in ``mmctune.apis.methods``
(``core-tuning``, ``ce-tuning``, ...) or, for a config of no method there,
the config's folder or file-name prefix.

A run's figure is its last validation value of ``--metric`` (default
``accuracy/top1``; ``--best`` takes the best instead): from its
``result.json``, or, for a work dir of ``tools/train.py``, from the
scalars mmengine writes.
"""
import argparse
import glob
import json
import os.path as osp
import re
import statistics
import sys
from collections import defaultdict

from mmengine.config import Config

from mmctune.apis.methods import METHODS, method_of_config
from mmctune.apis.sweep import load_result, run_jobs, seed_jobs
from mmctune.utils.dict_action import DictAction

# method key -> the name the table shows
NAMES = {m.key: m.name for m in METHODS}


#: dataset names as config file names hold them
DATASET_NAMES = {
    'aircraft', 'caltech101', 'cars', 'cifar10', 'cifar100', 'dtd',
    'flowers', 'imagenet20', 'inat18', 'pets', 'fmnist', 'pacs', 'vlcs',
    'officehome', 'voc12aug', 'stardist', 'digits'
}


def method_and_dataset(config):
    """``configs/coretune/r50_moco_cifar10.py`` -> ('core-tuning',
    'cifar10'); ``configs/baselines/ce_r50_moco_dtd.py`` -> ('ce-tuning',
    'dtd'); ``configs/baselines/ce_r50_moco_cifar10_rrc.py`` ->
    ('ce', 'cifar10_rrc'); a config of no method in ``mmctune.apis.methods``: its folder,
    or its file name's first part (``tiny.py`` -> ('tiny', 'tiny'))."""
    name = osp.splitext(osp.basename(config))[0]
    folder = osp.basename(osp.dirname(osp.abspath(config)))
    parts = name.split('_')
    # the dataset and what follows it in the name: cifar10_rrc,
    # flowers_official-split, pacs_art_painting, imagenet20_tau0.1
    known = [i for i, p in enumerate(parts) if p in DATASET_NAMES]
    dataset = '_'.join(parts[known[-1]:]) if known else parts[-1]
    if folder == 'label_fraction':
        return f'{parts[0]} ({parts[-1]})', parts[-2]
    method = method_of_config(osp.abspath(config))
    if method is not None:
        return method.key, dataset
    if folder == 'baselines' or not re.match(r'^(r|x|deit)\d', parts[0]):
        return parts[0], dataset
    return folder, dataset


def train_options(train_args):
    """The ``--cfg-options`` of the older ``--train-args`` (the only
    option of tools/train.py that a sweep takes)."""
    parser = argparse.ArgumentParser(prog='multi_seed.py run --train-args')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args, unknown = parser.parse_known_args(train_args)
    if unknown:
        parser.error(f'{unknown}: only --cfg-options is taken; run '
                     'tools/train.py yourself for the others, then collect')
    return args.cfg_options or {}


def run(args):
    from mmctune.utils.cfg_check import check_cfg_options
    method, dataset = method_and_dataset(args.config)
    cfg = Config.fromfile(args.config)
    options = dict(train_options(args.train_args), **(args.cfg_options or {}))
    if options:
        check_cfg_options(cfg, options)
        cfg.merge_from_dict(options)
    folder = osp.join(args.root, method, dataset)
    jobs = seed_jobs(
        cfg,
        args.seeds,
        lambda seed: osp.join(folder, f'seed_{seed}'),
        name=f'{method} {dataset}',
        test=False)
    run_jobs(jobs, args.jobs)
    args.dirs = [folder]
    return collect(args)


def run_value(work_dir, metric, best):
    """The last (``best``: the highest) validation ``metric`` of a work
    dir: its result.json's, else its scalars'; None without any."""
    result = load_result(work_dir)
    if result is not None and result.get('val'):
        values = [v[metric] for v in result['val'] if metric in v]
        if values:
            return max(values) if best else values[-1]
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
        lines.append(f'| {NAMES.get(m, m)} | ' + ' | '.join(cells) + ' |')
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
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config (as tools/train.py does)')
    p_run.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='seeds at a time, each in its own process (1: one after the '
        'other in this process)')
    p_run.add_argument(
        '--train-args',
        nargs=argparse.REMAINDER,
        default=[],
        help='the older form of --cfg-options: "--train-args --cfg-options '
        'KEY=VALUE ..." (last on the line)')
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
