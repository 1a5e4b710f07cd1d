"""Run a config for several seeds, or collect finished runs, and print a
markdown table of mean ± std per method and dataset: the way the papers
report "averaged over 3 runs".

    # train CONFIG with seeds 0 1 2 (work dirs ROOT/<method>/<dataset>/seed_S)
    python tools/analysis_tools/multi_seed.py run CONFIG --seeds 0 1 2 \
        [--root work_dirs/seeds] [--cfg-options KEY=VALUE ...] [--jobs 1]
    # the table of everything under ROOT, or of the work dirs given
    python tools/analysis_tools/multi_seed.py collect --root work_dirs/seeds
    python tools/analysis_tools/multi_seed.py collect DIR [DIR ...]

``run`` trains each seed with ``tools/train.py`` (``--work-dir
ROOT/<method>/<dataset>/seed_S --cfg-options randomness.seed=S``, then the
options), ``--jobs`` at a time, each in its own process with its share of
the CPU threads, and writes ``multi_seed.json`` beside the run: a second
``run`` with the same config and options reuses the finished seeds, and a
seed whose config changed is trained again (the earlier run's folder is
kept, renamed). ``<method>`` is the method of the model index the config
belongs to (``core-tuning``, ``ce-tuning``, ...: ``mmctune.apis``) or, for a
config the index does not hold, the config's folder or file-name prefix.

A run's figure is its last validation value of ``--metric`` (default
``accuracy/top1``; ``--best`` takes the best instead): from the scalars
mmengine writes in its work dir (or the ``result.json`` of an earlier
version of this tool).
"""
import argparse
import glob
import hashlib
import json
import os
import os.path as osp
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict

from mmengine.config import Config

from mmctune.apis import ModelHub, model_of_config
from mmctune.apis.model import slug
from mmctune.utils.dict_action import DictAction

TRAIN = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'train.py')
MARKER = 'multi_seed.json'


def method_names():
    """Method key (a file-name form) -> the name the table shows, for every
    method of the model index."""
    return {slug(c.name): c.name for c in ModelHub.collections()}


#: dataset names as config file names hold them
DATASET_NAMES = {
    'aircraft', 'caltech101', 'cars', 'cifar10', 'cifar100', 'dtd', 'flowers',
    'imagenet20', 'inat18', 'pets', 'fmnist', 'pacs', 'vlcs', 'officehome',
    'voc12aug', 'stardist', 'digits'
}


def method_and_dataset(config):
    """``configs/coretune/r50_moco_cifar10.py`` -> ('core-tuning',
    'cifar10'); ``configs/baselines/ce_r50_moco_dtd.py`` -> ('ce-tuning',
    'dtd'); ``configs/baselines/ce_r50_moco_cifar10_rrc.py`` ->
    ('ce-tuning', 'cifar10_rrc'): the method of the model index that holds
    the config; a config the index does not hold: its folder, or its file
    name's first part (``tiny.py`` -> ('tiny', 'tiny'))."""
    name = osp.splitext(osp.basename(config))[0]
    folder = osp.basename(osp.dirname(osp.abspath(config)))
    parts = name.split('_')
    # the dataset and what follows it in the name: cifar10_rrc,
    # flowers_official-split, pacs_art_painting, imagenet20_10pct
    known = [i for i, p in enumerate(parts) if p in DATASET_NAMES]
    dataset = '_'.join(parts[known[-1]:]) if known else parts[-1]
    model = model_of_config(config)
    if model is not None:
        return slug(model.in_collection), dataset
    if folder == 'baselines' or not re.match(r'^(r|x|deit)\d', parts[0]):
        return parts[0], dataset
    return folder, dataset


def option_tokens(train_args):
    """The ``KEY=VALUE`` tokens of ``--cfg-options`` in the older
    ``--train-args`` (the only option of tools/train.py that a run takes)."""
    parser = argparse.ArgumentParser(prog='multi_seed.py run --train-args')
    parser.add_argument('--cfg-options', nargs='+', default=[])
    args, unknown = parser.parse_known_args(train_args)
    if unknown:
        parser.error(f'{unknown}: only --cfg-options is taken; run '
                     'tools/train.py yourself for the others, then collect')
    return args.cfg_options


def parse_options(tokens):
    """``KEY=VALUE`` tokens as tools/train.py reads them (``DictAction``)."""
    parser = argparse.ArgumentParser(prog='--cfg-options')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *tokens]).cfg_options \
        if tokens else {}


def train_options(train_args):
    """The ``--cfg-options`` of the older ``--train-args``, parsed."""
    return parse_options(option_tokens(train_args))


def seed_config_sha1(config, options, seed) -> str:
    """SHA-1 of what a seed's run trains: the config with the options and
    the seed (``randomness.seed``, the rest of ``randomness`` kept)."""
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(options)
    randomness = dict(cfg.get('randomness') or {})
    randomness['seed'] = seed
    cfg.randomness = randomness
    return hashlib.sha1(cfg.pretty_text.encode()).hexdigest()


def finished(work_dir, sha1) -> bool:
    """Whether ``work_dir`` holds a finished run of this tool with the
    config of ``sha1``."""
    path = osp.join(work_dir, MARKER)
    if not osp.isfile(path):
        return False
    with open(path) as f:
        return json.load(f).get('config_sha1') == sha1


def set_aside(work_dir):
    """Rename an earlier run's folder, so that the new run starts empty."""
    if osp.isdir(work_dir) and os.listdir(work_dir):
        old = f'{work_dir}.replaced-{time.strftime("%Y%m%d_%H%M%S")}'
        os.rename(work_dir, old)
        print(f'  {work_dir} holds another run: kept as {old}', flush=True)


def train_seeds(config, tokens, seeds, work_dir, name, jobs=1):
    """Train ``config`` once per seed with tools/train.py, ``jobs`` at a
    time; a seed whose run finished with the same config is skipped."""
    options = parse_options(tokens)
    todo = []
    for seed in seeds:
        wd = work_dir(seed)
        sha1 = seed_config_sha1(config, options, seed)
        if finished(wd, sha1):
            print(f'  {name} seed {seed}: done before ({wd})', flush=True)
            continue
        set_aside(wd)
        todo.append((seed, wd, sha1))
    threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
    env = dict(
        os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    running = []
    for i, (seed, wd, sha1) in enumerate(todo):
        os.makedirs(wd, exist_ok=True)
        cmd = [
            sys.executable, TRAIN, config, '--work-dir', wd, '--cfg-options',
            f'randomness.seed={seed}', *tokens
        ]
        log = open(osp.join(wd, 'multi_seed.log'), 'w')
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        running.append((proc, log, seed, wd, sha1, cmd, time.time()))
        if len(running) >= jobs or i == len(todo) - 1:
            for item in running:
                _finish(*item, name=name)
            running = []


def _finish(proc, log, seed, wd, sha1, cmd, start, name):
    proc.wait()
    log.close()
    if proc.returncode != 0:
        with open(log.name) as f:
            tail = ''.join(f.readlines()[-30:])
        raise RuntimeError(f'{name} seed {seed} failed (exit code '
                           f'{proc.returncode}): {" ".join(cmd)}\n{tail}')
    seconds = round(time.time() - start, 1)
    with open(osp.join(wd, MARKER), 'w') as f:
        json.dump(
            dict(config_sha1=sha1, seed=seed, command=cmd, seconds=seconds),
            f,
            indent=1)
    print(
        f'  {name} seed {seed}: trained in {seconds:.0f} s ({wd})', flush=True)


def run(args):
    from mmctune.utils.cfg_check import check_cfg_options
    method, dataset = method_and_dataset(args.config)
    tokens = option_tokens(args.train_args) + list(args.cfg_options or [])
    options = parse_options(tokens)
    if options:
        check_cfg_options(Config.fromfile(args.config), options)
    folder = osp.join(args.root, method, dataset)
    train_seeds(args.config, tokens, args.seeds,
                lambda seed: osp.join(folder, f'seed_{seed}'),
                f'{method} {dataset}', args.jobs)
    args.dirs = [folder]
    return collect(args)


def _result_json(work_dir):
    """The ``result.json`` an earlier version of this tool wrote, or
    None."""
    path = osp.join(work_dir, 'result.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def run_value(work_dir, metric, best):
    """The last (``best``: the highest) validation ``metric`` of a work
    dir: from its scalars, else from an earlier version's result.json; None
    without any."""
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    values = []
    for path in files:
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        values += [r[metric] for r in records if metric in r]
    if not values:
        result = _result_json(work_dir) or {}
        values = [v[metric] for v in result.get('val') or [] if metric in v]
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
        work_dirs = sorted(glob.glob(osp.join(args.root, '*', '*', 'seed_*')))
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
    names = method_names()
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
        lines.append(f'| {names.get(m, m)} | ' + ' | '.join(cells) + ' |')
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
        metavar='KEY=VALUE',
        help='override settings of the config (tools/train.py\'s '
        '--cfg-options)')
    p_run.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='seeds at a time, each a tools/train.py process with its share '
        'of the CPU threads')
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
