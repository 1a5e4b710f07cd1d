"""Collect leave-one-domain-out runs into the Core-tuning paper's Table 8
layout: per dataset and model-selection rule, one row per method
(SL-CE-tuning: CE-tuning from supervised ImageNet weights; then, from MoCo
v2, CE-tuning, CE-Con, Core-tuning; then any other), one column per target
domain and their average.

    # every run under work_dirs (each wrote target_domain_results.json)
    python tools/analysis_tools/collect_dg_results.py --root work_dirs
    python tools/analysis_tools/collect_dg_results.py DIR [DIR ...] \
        [--metric accuracy/top1] [--out table.md]

Selections: "training-domain validation" (the checkpoint with the best mean
held-out top-1 over the source domains) and "last checkpoint" (no
selection); the target domain takes part in neither (see
``TargetDomainTestHook``). Several runs of one method and target (seeds)
give mean ± std (n); the average column is the mean over the targets, left
empty until every target of the dataset has a run.
"""
import argparse
import glob
import json
import os.path as osp
import statistics
from collections import defaultdict

RESULTS = 'target_domain_results.json'
# the paper's Table 8 rows: supervised pre-training, then MoCo v2's three
METHOD_ORDER = ('SL-CE-tuning', 'CE-tuning', 'CE-Con', 'Core-tuning')
SELECTIONS = (('train_domain_val', 'training-domain validation'),
              ('last', 'last checkpoint'))


def find_results(dirs):
    files = []
    for d in dirs:
        if osp.isfile(d):
            files.append(d)
        else:
            files += glob.glob(osp.join(d, '**', RESULTS), recursive=True)
    return sorted(set(files))


def load_runs(files, metric):
    """{dataset: {'domains': [...], 'runs': {(selection, method, target):
    [values]}}} from the result files."""
    datasets = {}
    for path in files:
        with open(path) as f:
            record = json.load(f)
        ds = datasets.setdefault(
            record['dataset'],
            dict(domains=record['domains'], runs=defaultdict(list)))
        for sel, _ in SELECTIONS:
            metrics = record['selections'][sel]['metrics']
            if metric not in metrics:
                raise KeyError(f'{path} has no {metric!r}; it has '
                               f'{sorted(metrics)}')
            ds['runs'][(sel, record['method'],
                        record['target_domain'])].append(metrics[metric])
    return datasets


def _cell(values):
    if not values:
        return ''
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return (f'{statistics.mean(values):.2f} ± '
            f'{statistics.stdev(values):.2f} ({len(values)})')


def tables(datasets, metric):
    """Markdown tables, one per dataset and selection."""
    out = []
    for name in sorted(datasets):
        domains, runs = datasets[name]['domains'], datasets[name]['runs']
        found = {m for _, m, _ in runs}
        methods = [m for m in METHOD_ORDER if m in found]
        methods += sorted(found - set(METHOD_ORDER))
        for sel, title in SELECTIONS:
            out += [
                f'{name}, {metric} on the target domain; selection: {title}',
                '', '| method | ' + ' | '.join(domains) + ' | Avg |',
                '|---|' + '---|' * (len(domains) + 1)
            ]
            for m in methods:
                cells = [runs.get((sel, m, d), []) for d in domains]
                avg = (
                    f'{statistics.mean(statistics.mean(c) for c in cells):.2f}'
                    if all(cells) else '')
                out.append(f'| {m} | ' + ' | '.join(map(_cell, cells)) +
                           f' | {avg} |')
            out.append('')
    return '\n'.join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('dirs', nargs='*', help='work dirs or result files')
    parser.add_argument('--root', default='work_dirs')
    parser.add_argument('--metric', default='accuracy/top1')
    parser.add_argument('--out', help='also write the tables to this file')
    args = parser.parse_args(argv)
    files = find_results(args.dirs or [args.root])
    if not files:
        raise FileNotFoundError(
            f'no {RESULTS} under {args.dirs or [args.root]}: it is written '
            'at the end of training by TargetDomainTestHook (configs/dg/)')
    text = tables(load_runs(files, args.metric), args.metric)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    return text


if __name__ == '__main__':
    main()
