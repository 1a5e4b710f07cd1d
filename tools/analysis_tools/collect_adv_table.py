"""Collect the adversarial fine-tuning runs into the Core-tuning paper's
Table 9 layout: rows CE, AT-CE, AT-CE-Con, AT-Core; columns the six PGD-10
budgets (l2 eps 0.5, 1.5, 2.5; linf eps 2, 4, 8 / 255); each cell
"robust / clean" top-1, as the paper reports them.

    # after training and testing the configs of configs/adv/ with their
    # default work dirs (work_dirs/adv/<config name>)
    python tools/analysis_tools/collect_adv_table.py [--root work_dirs] \
        [--dataset cifar10] [--metric accuracy/top1] [--out table9.md]

Each AT column is its own model: the cell of AT-Core under l2 eps 1.5 reads
the run of ``configs/adv/at-core_r50_moco_<dataset>_l2-1.5.py``, its
robust accuracy under that same budget and its clean accuracy. The CE row
is one model, CE-tuning without adversarial training, tested under every
budget (``configs/adv/ce_r50_moco_<dataset>.py``), so its clean accuracy is
the same in every column.

A run's figures are those of its newest ``tools/test.py`` (the
``RobustTestLoop`` of the config), read from ``<work dir>/<timestamp>/
<timestamp>.json``, where mmengine writes the test metrics: ``<metric>``
clean and ``<attack>/<metric>`` under each attack, e.g.
``pgd10-l2-1.5/accuracy/top1``. Cells without such a run stay empty, and
the runs they need are listed under the table with the commands to make
them.
"""
import argparse
import glob
import json
import os.path as osp
import re

# (column key in the config names, norm, eps for images in [0, 1], title)
BUDGETS = (
    ('l2-0.5', 'l2', 0.5, 'ℓ2 ε=0.5'),
    ('l2-1.5', 'l2', 1.5, 'ℓ2 ε=1.5'),
    ('l2-2.5', 'l2', 2.5, 'ℓ2 ε=2.5'),
    ('linf-2', 'linf', 2 / 255, 'ℓ∞ ε=2/255'),
    ('linf-4', 'linf', 4 / 255, 'ℓ∞ ε=4/255'),
    ('linf-8', 'linf', 8 / 255, 'ℓ∞ ε=8/255'),
)
STEPS = 10
# (row, config name: {dataset}, and {budget} for a model per column)
ROWS = (
    ('CE', 'ce_r50_moco_{dataset}'),
    ('AT-CE', 'at-ce_r50_moco_{dataset}_{budget}'),
    ('AT-CE-Con', 'at-ce-con_r50_moco_{dataset}_{budget}'),
    ('AT-Core', 'at-core_r50_moco_{dataset}_{budget}'),
)
TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')
# the repository (configs/ beside tools/), to tell a config that exists
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def attack_name(norm: str, eps: float, steps: int = STEPS) -> str:
    """The name ``PGDAttack`` gives itself, the prefix of its metrics in
    ``RobustTestLoop`` (``pgd10-l2-0.5``, ``pgd10-linf-4/255``)."""
    from mmctune.models.utils.attacks import PGDAttack
    return PGDAttack(norm=norm, eps=eps, steps=steps).name


def test_results(work_dir: str):
    """The test metrics mmengine wrote in ``work_dir``, newest first:
    ``[(timestamp, {metric: value})]`` from ``<ts>/<ts>.json``."""
    found = []
    for path in glob.glob(osp.join(work_dir, '*', '*.json')):
        ts = osp.basename(osp.dirname(path))
        if not TIMESTAMP.match(ts) or osp.basename(path) != f'{ts}.json':
            continue
        with open(path) as f:
            try:
                metrics = json.load(f)
            except json.JSONDecodeError:
                continue  # a training log (one JSON line per record)
        if isinstance(metrics, dict):
            found.append((ts, metrics))
    return sorted(found, key=lambda r: r[0], reverse=True)


def cell(work_dir: str, attack: str, metric: str):
    """``(robust, clean, timestamp)`` of the newest test of ``work_dir``
    that has ``attack``, else ``(None, None, why)``."""
    if not osp.isdir(work_dir):
        return None, None, 'not run'
    tests = test_results(work_dir)
    if not tests:
        return None, None, 'trained, not tested'
    key = f'{attack}/{metric}'
    for ts, metrics in tests:
        if key in metrics and metric in metrics:
            return metrics[key], metrics[metric], ts
    return None, None, f'its tests have no {key!r}'


def collect(root: str, dataset: str, metric: str):
    """{row: {budget: (robust, clean, note)}} and the list of missing runs
    ``(row, budget title, config path, work dir, why)``."""
    table, missing = {}, []
    for row, pattern in ROWS:
        table[row] = {}
        for key, norm, eps, title in BUDGETS:
            name = pattern.format(dataset=dataset, budget=key)
            work_dir = osp.join(root, 'adv', name)
            robust, clean, note = cell(work_dir, attack_name(norm, eps),
                                       metric)
            table[row][key] = (robust, clean, note)
            if robust is None:
                missing.append(
                    (row, title, f'configs/adv/{name}.py', work_dir, note))
    return table, missing


def _fmt(robust, clean):
    return '' if robust is None else f'{robust:.2f} / {clean:.2f}'


def render(table, missing, dataset: str, metric: str) -> str:
    lines = [
        f'Table 9 ({dataset}, PGD-{STEPS}): robust / clean {metric} (%); '
        'AT rows: one model per column, trained at its budget', '',
        '| method | ' + ' | '.join(t for *_, t in BUDGETS) + ' |',
        '|---|' + '---|' * len(BUDGETS)
    ]
    for row, _ in ROWS:
        cells = [_fmt(*table[row][key][:2]) for key, *_ in BUDGETS]
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    if missing:
        lines += [
            '', f'missing runs ({len(missing)} of '
            f'{len(ROWS) * len(BUDGETS)} cells):'
        ]
        done = set()
        for row, title, config, work_dir, why in missing:
            if row == 'CE':
                if config in done:
                    continue  # one model for the whole row
                done.add(config)
                title = 'every budget'
            exists = '' if osp.isfile(osp.join(REPO, config)) \
                else ' (no such config)'
            lines.append(f'- {row}, {title}: {work_dir}: {why}; '
                         f'{config}{exists}')
        lines += [
            '', 'make a run: python tools/train.py CONFIG, then python '
            'tools/test.py CONFIG WORK_DIR/epoch_<last>.pth (the CE row: '
            'test the CE-tuning checkpoint, work_dirs/baselines/'
            f'ce_r50_moco_{dataset}/epoch_<last>.pth, with '
            f'configs/adv/ce_r50_moco_{dataset}.py)'
        ]
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--root',
        default='work_dirs',
        help='the root of the default work dirs (runs in ROOT/adv/<config '
        'name>)')
    parser.add_argument('--dataset', default='cifar10')
    parser.add_argument('--metric', default='accuracy/top1')
    parser.add_argument('--out', help='also write the table to this file')
    args = parser.parse_args(argv)
    if not osp.isdir(args.root):
        raise FileNotFoundError(
            f'--root {args.root} is not a folder: give the folder that holds '
            'adv/<config name>/ (tools/train.py and tools/test.py write '
            'there by default: work_dirs)')
    table, missing = collect(args.root, args.dataset, args.metric)
    text = render(table, missing, args.dataset, args.metric)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    return text


if __name__ == '__main__':
    main()
