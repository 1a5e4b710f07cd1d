"""Draw the benchmarks' results as figures, from the result files they
stored (no training, no measurement): docs/benchmarks.md's figures.

    # work_dirs/benchmarks -> docs/figures
    python .dev_scripts/benchmarks/plot_results.py
    python .dev_scripts/benchmarks/plot_results.py \\
        --work-dir work_dirs/benchmarks-quick \\
        --out work_dirs/benchmarks-quick/figures

``--work-dir`` is where ``run_all.sh`` wrote (the work dirs that
``benchmarks.yml`` names under ``work_dirs/benchmarks``, moved there).
Each figure is drawn when its result file is there, else skipped with the
command that makes it:

============================  =============================================
figure                        drawn from
============================  =============================================
``<setting>_top1.png``        ``<finetune work dir>/results.json`` (the
                              final stage): each method's test top-1 at
                              each fraction, mean and std over seeds,
                              CE-tuning's mean marked (sections 2, 2b, 2c)
``<setting>_gains.png``       the same: each method's gain over CE-tuning
                              paired by seed, mean and std
``<setting>_tsne.png``        ``<finetune work dir>/tsne.json``
                              (``finetune_table.py --stages ... tsne``):
                              the t-SNE of CE-tuning's and Core-tuning's
                              features of the same test images
``step_cost.png``             ``<work-dir>/cost.json`` (``step_time.py
                              --out``): each method's step time and peak
                              memory over CE-tuning's (section 3)
``hcsc.png``                  ``<work-dir>/pretrain_table/
                              pretrain_table.json`` (``pretrain_table.py``):
                              HCSC's clustering time and the precision of
                              its selected negatives per epoch (section 6)
============================  =============================================

``<setting>`` is a ``finetune_table.py --setting`` (``simclr-r18-tiny``,
``imagenet-mbv2``, ``imagenet-mbv2-12k``, ``simclr-vit-tiny``). Exits 1
when no result file was found at all.
"""
import argparse
import json
import os.path as osp
import sys

from benchlib import load_settings

from mmctune.visualization import (gains_figure, hcsc_figure, save_figure,
                                   step_cost_figure, top1_figure, tsne_figure)

# where benchmarks.yml's work dirs are, moved by --work-dir
DEFAULT_WORK_DIR = 'work_dirs/benchmarks'
SCRIPTS = '.dev_scripts/benchmarks'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--work-dir',
        default=DEFAULT_WORK_DIR,
        help='the benchmarks\' work dir, run_all.sh\'s (default '
        f'{DEFAULT_WORK_DIR}; work_dirs/benchmarks-quick for --quick runs)')
    parser.add_argument(
        '--out',
        default='docs/figures',
        help='the folder of the figures (default docs/figures)')
    parser.add_argument(
        '--format',
        choices=['png', 'svg'],
        default='png',
        help='png (default, 80 dpi) or svg')
    return parser.parse_args(argv)


def moved(path, work_dir):
    """``path`` of benchmarks.yml (under work_dirs/benchmarks) under
    ``work_dir`` instead."""
    rel = osp.relpath(path, DEFAULT_WORK_DIR)
    return path if rel.startswith('..') else osp.join(work_dir, rel)


def pct(fraction):
    return f'{fraction * 100:g}%'


def final_results(raw):
    """``{method: {'<f>% labels': {seed: top1}}}`` of a results.json's
    final stage, in the table's order."""
    results = {}
    for name, fraction, seed, top1 in raw['final']:
        results.setdefault(name, {}).setdefault(f'{pct(fraction)} labels',
                                                {})[seed] = top1
    return results


def finetune_figures(setting, spec, work_dir):
    """(name, figure) of a finetune_table.py setting whose results exist,
    and (name, why, command) of those skipped."""
    folder = moved(spec['work_dir'], work_dir)
    made, skipped = [], []
    command = (f'python {SCRIPTS}/finetune_table.py --setting {setting} '
               f'--work-dir {folder}' +
               (' --pretrained CKPT' if spec['pretrained'] is None else ''))
    path = osp.join(folder, 'results.json')
    raw = None
    if osp.isfile(path):
        with open(path) as f:
            raw = json.load(f)
        # the options of the run, so that the command reuses its runs
        args = raw.get('args', {})
        command = (
            f'python {SCRIPTS}/finetune_table.py --setting {setting} '
            f'--work-dir {folder}' +
            ''.join(f' --{key.replace("_", "-")} {args[key]}'
                    for key in ('pretrained', 'data_root') if key in args) +
            (' --quick' if args.get('quick') else ''))
    for kind in ('top1', 'gains'):
        name = f'{setting}_{kind}'
        if raw is None:
            skipped.append((name, f'{path} not found',
                            f'{command} (or bash {SCRIPTS}/run_all.sh)'))
        elif not raw.get('final'):
            skipped.append((name, f'{path} has no final stage',
                            f'{command} --stages tune final'))
        else:
            args = raw['args']
            results = final_results(raw)
            draw = top1_figure if kind == 'top1' else gains_figure
            title = (f'{setting} ({spec["pretraining"]})\n' +
                     ('test top-1 on Fashion-MNIST' if kind == 'top1' else
                      f'gain over {args["reference"]} on Fashion-MNIST'))
            made.append((name,
                         draw(
                             results,
                             args['reference'],
                             highlight=args['proposed'],
                             title=title), path))
    name = f'{setting}_tsne'
    path = osp.join(folder, 'tsne.json')
    if osp.isfile(path):
        with open(path) as f:
            record = json.load(f)
        made.append((name,
                     tsne_figure(
                         record['points'],
                         record['labels'],
                         record.get('classes'),
                         title=f'{setting}: t-SNE of the features of the '
                         f'same test images\n(fine-tuned at '
                         f'{pct(record["fraction"])} labels, seed '
                         f'{record["seed"]})'), path))
    else:
        skipped.append((name, f'{path} not found',
                        f'{command} --stages tune final tsne (a finished '
                        'run whose config is unchanged is reused)'))
    return made, skipped


def cost_figure(work_dir):
    path = osp.join(work_dir, 'cost.json')
    if not osp.isfile(path):
        return None, ('step_cost', f'{path} not found',
                      f'python {SCRIPTS}/step_time.py --methods fmnist '
                      '--img-size 28 --batch-size 128 --memory --fmnist-root '
                      f'data/fashion_mnist --steps 10 --warmup 2 --out {path}')
    with open(path) as f:
        record = json.load(f)
    rows = [
        dict(r, name=r.get('method') or osp.basename(r['config']))
        for r in record['rows']
    ]
    proposed = [r['name'] for r in rows if r.get('role') == 'proposed']
    fig = step_cost_figure(
        rows,
        highlight=proposed[0] if proposed else None,
        title=f'{record["what"]}, batch {record["batch_size"]} x '
        f'{record["img_size"]}px ({record["images"]}), {record["device"]}')
    return ('step_cost', fig, path), None


def hcsc_figures(work_dir):
    folder = osp.join(work_dir, 'pretrain_table')
    path = osp.join(folder, 'pretrain_table.json')
    command = f'python {SCRIPTS}/pretrain_table.py --work-dir {folder}'
    if not osp.isfile(path):
        return None, ('hcsc', f'{path} not found', command)
    with open(path) as f:
        epochs = json.load(f)['results'].get('hcsc')
    if not epochs:
        return None, ('hcsc', f'{path} has no HCSC statistics',
                      f'{command} --methods HCSC ...')
    return ('hcsc',
            hcsc_figure(
                epochs,
                title='HCSC pre-training on Fashion-MNIST: its clustering '
                'and instance selection per epoch'), path), None


def main(argv=None):
    args = parse_args(argv)
    made, skipped = [], []
    settings = load_settings('finetune_table')['settings']
    for setting, spec in settings.items():
        m, s = finetune_figures(setting, spec, args.work_dir)
        made += m
        skipped += s
    for fn in (cost_figure, hcsc_figures):
        m, s = fn(args.work_dir)
        made += [m] if m else []
        skipped += [s] if s else []
    written = []
    for name, fig, source in made:
        path = save_figure(fig, osp.join(args.out, f'{name}.{args.format}'))
        written.append(path)
        print(f'drew {path} from {source}')
    for name, why, command in skipped:
        print(f'skipped {name}: {why}; made by: {command}')
    if not made:
        print(
            f'no result file under {args.work_dir}: nothing drawn (run '
            f'bash {SCRIPTS}/run_all.sh first)',
            file=sys.stderr)
        raise SystemExit(1)
    return written


if __name__ == '__main__':
    main()
