"""Compare contrastive pre-training methods on Fashion-MNIST in miniature:
SimCLR, HCSC and TCL (self-supervised) pre-train the small ResNet with the
same budget, and each encoder (with a randomly initialised one as a
reference) is then compared by

- weighted kNN top-1 at every K (``tools/analysis_tools/feature_eval.py``:
  the 60,000 training images as the bank, the 10,000 test images as
  queries);
- a linear probe, and CE-tuning and Core-tuning at 1% and 10% labels over
  3 seeds (``finetune_table.py --stages probe final --rows CE-tuning
  Core-tuning``: docs/benchmarks.md section 2's protocol);
- transferability scores of its features before any fine-tuning (LogME,
  N-LEEP, NCE, H-score; ``tools/analysis_tools/rank_checkpoints.py``) and
  their rank correlation with the fine-tuned accuracies;
- for HCSC, its hook's per-epoch statistics: the clustering's wall time
  against the epoch's (its Table 4) and the precision and recall of the
  negatives it removes and keeps (its Figure 1).

    python .dev_scripts/benchmarks/pretrain_table.py          # about 1.5 h
    python .dev_scripts/benchmarks/pretrain_table.py --quick  # a smoke run

Every step is a command of the repository, run as a subprocess with its log
under ``--work-dir`` (default ``work_dirs/benchmarks/pretrain_table``;
``work_dirs/benchmarks-quick/pretrain_table`` with ``--quick``). A second
call reuses what is there: a pre-training that finished (and resumes one
that did not) if it ran the same config with the same data, and every
fine-tuning run whose config is unchanged; a pre-training of another config
is refused, not reused. The report,
with each step's time, goes to ``pretrain_table.md`` and its figures to
``pretrain_table.json``.
"""
import argparse
import datetime
import glob
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

from benchlib import config_of, load_settings, setting_configs

from mmctune.apis.model import slug

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))

BENCHMARK = load_settings('pretrain_table')
# name -> (work-dir key, pre-training config): the pre-trainings of the model
# index's setting (benchmarks.yml), each 4 epochs of the 60,000 training
# images at batch 256 (the benchmarks' SimCLR budget)
METHODS = {
    name: (slug(name), config)
    for name, config in setting_configs(BENCHMARK['setting'], (
        'pre-training', ))
}
RANDOM = 'random init'
# the encoder's config for kNN, ranking and the random initialisation
PROBE_CONFIG = config_of(BENCHMARK['probe'])
# finetune_table.py's setting and its rows: the reference and the proposed
# method (CE-tuning, Core-tuning)
FINETUNE_SETTING = BENCHMARK['finetune_setting']
ROWS = tuple(name for name, _ in setting_configs(
    load_settings('finetune_table')['settings'][FINETUNE_SETTING]
    ['index_setting'], ('reference', 'proposed')))
KS = (10, 20, 100, 200)
STAGES = ('pretrain', 'knn', 'finetune', 'rank')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--methods', nargs='+', choices=list(METHODS), default=list(METHODS))
    parser.add_argument(
        '--no-random',
        action='store_true',
        help='leave out the randomly initialised encoder')
    parser.add_argument(
        '--stages', nargs='+', choices=STAGES, default=list(STAGES))
    parser.add_argument('--data-root', default='data/fashion_mnist')
    parser.add_argument(
        '--work-dir',
        help='default work_dirs/benchmarks/pretrain_table '
        '(work_dirs/benchmarks-quick/pretrain_table with --quick)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--fractions', type=float, nargs='+', default=[0.01, 0.1])
    parser.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='fine-tuning runs at a time (finetune_table.py --jobs)')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='minutes: pre-train on 1,024 images, a 2,000-image kNN bank, '
        'finetune_table.py --quick, 500 images for the scores')
    args = parser.parse_args(argv)
    args.work_dir = args.work_dir or osp.join(
        'work_dirs', 'benchmarks-quick' if args.quick else 'benchmarks',
        'pretrain_table')
    args.candidates = list(args.methods) + ([] if args.no_random else [RANDOM])
    if len(args.candidates) < 2 and 'rank' in args.stages:
        parser.error('ranking needs two or more candidates')
    if not osp.isdir(osp.join(ROOT, args.data_root)) and not osp.isdir(
            args.data_root):
        parser.error(f'--data-root {args.data_root} not found: run '
                     'bash tools/setup_env.sh (or tools/dataset_converters/'
                     'prepare_fashion_mnist.py)')
    return args


def run(cmd, log, what):
    """Run ``cmd`` (from the repository root) with its output in ``log``;
    the seconds it took. Raises with the log's tail if it fails."""
    os.makedirs(osp.dirname(log), exist_ok=True)
    print(f'{what}: {" ".join(cmd[1:])}', flush=True)
    start = time.time()
    with open(log, 'w') as f:
        r = subprocess.run(
            cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, text=True)
    seconds = time.time() - start
    if r.returncode != 0:
        with open(log) as f:
            tail = ''.join(f.readlines()[-30:])
        raise RuntimeError(f'{what} failed (exit code {r.returncode}); the '
                           f'end of {log}:\n{tail}')
    return seconds


def tool(path):
    return [sys.executable, osp.join(ROOT, 'tools', *path.split('/'))]


def data_options(args, prefix):
    """``--cfg-options`` that point a config at ``--data-root``."""
    return [f'{prefix}.data_root={args.data_root}']


# --- pre-training


def log_span(work_dir):
    """Seconds between the first and the last line of the newest mmengine
    log in ``work_dir`` (how long a reused pre-training took); None without
    one."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.log')))
    if not logs:
        return None
    stamps = []
    with open(logs[-1]) as f:
        for line in f:
            try:
                stamps.append(
                    datetime.datetime.strptime(line[:19], '%Y/%m/%d %H:%M:%S'))
            except ValueError:
                continue
    return (stamps[-1] - stamps[0]).total_seconds() if stamps else None


def last_checkpoint(work_dir):
    """The checkpoint named in ``work_dir/last_checkpoint``, if it exists."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        path = f.read().strip()
    path = path if osp.isabs(path) else osp.join(ROOT, path)
    return path if osp.isfile(path) else None


def max_epochs(config):
    from mmengine.config import Config
    return Config.fromfile(osp.join(ROOT, config)).train_cfg.max_epochs


# what a pre-training is, for reusing one: the sections of its config
PRETRAINING_KEYS = ('model', 'train_dataloader.dataset',
                    'train_dataloader.batch_size', 'optim_wrapper',
                    'param_scheduler', 'train_cfg', 'custom_hooks',
                    'randomness')


def check_same_pretraining(work_dir, config, options):
    """Refuse to reuse (or resume) the pre-training in ``work_dir`` unless
    the config it ran (mmengine's copy there) is ``config`` with
    ``options`` (``--cfg-options`` as a dict): a --quick run's, or an older
    config's, checkpoint is not this one."""
    from mmengine.config import Config
    dumped = osp.join(work_dir, osp.basename(config))
    hint = (f'delete {work_dir} to pre-train again, or give another '
            '--work-dir')
    if not osp.isfile(dumped):
        raise RuntimeError(f'{work_dir} holds a checkpoint but not the '
                           f'config that made it ({dumped}): {hint}')
    want = Config.fromfile(osp.join(ROOT, config))
    want.merge_from_dict(options)
    have = Config.fromfile(dumped)

    def section(cfg, path):
        value = cfg.to_dict()
        for key in path.split('.'):
            value = value.get(key) if isinstance(value, dict) else None
        return json.dumps(value, sort_keys=True, default=str)

    differ = [
        k for k in PRETRAINING_KEYS if section(want, k) != section(have, k)
    ]
    if differ:
        raise RuntimeError(
            f'{work_dir} holds a pre-training whose config differs from '
            f'{config} with {options} in {differ}: {hint}')


def pretrain_stage(args):
    """name -> dict(checkpoint, seconds, reused, epochs) of each method."""
    out = {}
    for name in args.methods:
        key, config = METHODS[name]
        work_dir = osp.join(args.work_dir, 'pretrain', key)
        epochs = max_epochs(config)
        ckpt = last_checkpoint(work_dir)
        options = {'train_dataloader.dataset.data_root': args.data_root}
        if args.quick:
            options['train_dataloader.dataset.indices'] = 1024
        if ckpt:
            check_same_pretraining(work_dir, config, options)
        if ckpt and osp.basename(ckpt) == f'epoch_{epochs}.pth':
            out[name] = dict(
                checkpoint=ckpt,
                seconds=log_span(work_dir),
                reused=True,
                epochs=epochs)
            print(f'pre-training {name}: reused {ckpt}', flush=True)
            continue
        cmd = tool('train.py') + [
            config, '--work-dir', work_dir, '--cfg-options'
        ] + [f'{k}={v}' for k, v in options.items()]
        if ckpt:  # an interrupted run goes on from its last epoch
            cmd.append('--resume')
        seconds = run(cmd,
                      osp.join(args.work_dir, 'logs', f'pretrain_{key}.log'),
                      f'pre-training {name}')
        out[name] = dict(
            checkpoint=last_checkpoint(work_dir),
            seconds=seconds,
            reused=False,
            epochs=epochs)
    return out


def random_checkpoint(args):
    """A checkpoint of the probe config's backbone with its weights as
    initialised (seed 0; ``backbone.`` keys): the reference encoder."""
    path = osp.join(args.work_dir, 'random_init.pth')
    if osp.isfile(path):
        return path
    import torch
    from mmengine.config import Config

    from mmctune.registry import MODELS
    from mmctune.utils import init_weights_quietly, register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, PROBE_CONFIG))
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    backbone = MODELS.build(cfg.model.backbone)
    init_weights_quietly(backbone)
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    os.makedirs(args.work_dir, exist_ok=True)
    torch.save(dict(state_dict=state, meta=dict(seed=0)), path)
    return path


def hcsc_statistics(work_dir):
    """The HCSC hook's per-epoch scalars (``hcsc/...``) from the runs'
    ``scalars.json`` files, oldest first (a resumed run's epochs follow the
    interrupted run's; a later record of an epoch replaces an earlier one):
    a list of dicts, one per epoch, in epoch order."""
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    epochs = {}
    for path in files:
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if any(k.startswith('hcsc/') for k in record):
                    epochs[record.get('step', len(epochs) + 1)] = record
    return [epochs[k] for k in sorted(epochs)]


# --- evaluation


def knn_stage(args, checkpoints):
    out = {}
    for name, ckpt in checkpoints.items():
        key = METHODS[name][0] if name in METHODS else 'random'
        work_dir = osp.join(args.work_dir, 'knn', key)
        options = (
            data_options(args, 'train_dataloader.dataset') +
            data_options(args, 'test_dataloader.dataset') + [
                'train_dataloader.dataset.indices=' +
                ('2000' if args.quick else 'None')
            ])
        if args.quick:
            options.append('test_dataloader.dataset.indices=1000')
        seconds = run(
            tool('analysis_tools/feature_eval.py') + [
                PROBE_CONFIG, ckpt, '--ks', *map(str, KS), '--no-s-dbw',
                '--work-dir', work_dir, '--cfg-options'
            ] + options, osp.join(args.work_dir, 'logs', f'knn_{key}.log'),
            f'kNN {name}')
        with open(osp.join(work_dir, 'features.json')) as f:
            metrics = json.load(f)
        out[name] = dict(metrics=metrics, seconds=seconds)
    return out


def finetune_stage(args, checkpoints):
    out = {}
    for name, ckpt in checkpoints.items():
        key = METHODS[name][0] if name in METHODS else 'random'
        work_dir = osp.join(args.work_dir, 'finetune', key)
        cmd = [sys.executable,
               osp.join(HERE, 'finetune_table.py')] + [
                   '--pretrained', ckpt, '--data-root', args.data_root,
                   '--work-dir', work_dir, '--stages', 'probe', 'final',
                   '--rows', *ROWS, '--seeds', *map(str, args.seeds),
                   '--fractions', *map(str, args.fractions), '--jobs',
                   str(args.jobs)
               ] + (['--quick'] if args.quick else [])
        seconds = run(cmd,
                      osp.join(args.work_dir, 'logs', f'finetune_{key}.log'),
                      f'linear probe and fine-tuning from {name}')
        with open(osp.join(work_dir, 'results.json')) as f:
            raw = json.load(f)
        final = {}
        for row, fraction, seed, top1 in raw['final']:
            final.setdefault(f'{row} {fraction:g}', {})[str(seed)] = top1
        out[name] = dict(
            probe=raw['probe']['pretrained']['top1'],
            final=final,
            seconds=seconds)
    return out


def rank_stage(args, checkpoints):
    names = list(checkpoints)
    work_dir = osp.join(args.work_dir, 'rank')
    cmd = tool('analysis_tools/rank_checkpoints.py') + [
        PROBE_CONFIG, '--checkpoints', *checkpoints.values(), '--names',
        *names, '--work-dir', work_dir, '--device', 'cpu', '--cfg-options',
        *data_options(args, 'train_dataloader.dataset')
    ] + (['--max-samples', '500'] if args.quick else [])
    seconds = run(cmd, osp.join(args.work_dir, 'logs', 'rank.log'),
                  'transferability scores')
    with open(osp.join(work_dir, 'rank_checkpoints.json')) as f:
        raw = json.load(f)
    scores = {c['name']: c['scores'] for c in raw['candidates']}
    return dict(scores=scores, samples=raw['samples'], seconds=seconds)


# --- the report


def mean_std(values):
    values = list(values)
    return (statistics.mean(values),
            statistics.stdev(values) if len(values) > 1 else 0.0)


def fmt(values, sign=''):
    mean, std = mean_std(values)
    return (f'{mean:{sign}.2f} ± {std:.2f}'
            if len(values) > 1 else f'{mean:{sign}.2f}')


def minutes(seconds):
    if seconds is None:
        return 'not recorded'
    return f'{int(seconds // 60)} min {int(seconds % 60)} s'


def targets(args, finetune, knn):
    """target name -> {candidate: accuracy} for the rank correlations: each
    fine-tuned row and fraction (mean over seeds), the probe, the best
    kNN."""
    out = {}
    for row in ROWS:
        for fraction in args.fractions:
            key = f'{row} {fraction:g}'
            out[f'{row}, {fraction * 100:g}% labels'] = {
                name: mean_std(r['final'][key].values())[0]
                for name, r in finetune.items()
            }
    out['linear probe'] = {n: r['probe'] for n, r in finetune.items()}
    if knn:
        out['kNN (best K)'] = {
            n: r['metrics']['knn/top1_best']
            for n, r in knn.items()
        }
    return out


def correlations(scores, target):
    """score -> (Kendall tau, Spearman rho) over the candidates of
    ``target``; NaN when a side is constant."""
    from scipy.stats import kendalltau, spearmanr
    names = list(target)
    out = {}
    for score in next(iter(scores.values())):
        x = [scores[n][score] for n in names]
        y = [target[n] for n in names]
        out[score] = (float(kendalltau(x, y).statistic),
                      float(spearmanr(x, y).statistic))
    return out


def table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    return '\n'.join(lines + ['| ' + ' | '.join(r) + ' |' for r in rows])


def report(args, results, times):
    parts = []
    pre = results.get('pretrain', {})
    if pre:
        parts += [
            '### Pre-training', '',
            table(['method', 'config', 'epochs', 'time'], [[
                n, METHODS[n][1],
                str(r['epochs']),
                minutes(r['seconds']) +
                (' (reused; from its log)' if r['reused'] else '')
            ] for n, r in pre.items()]), ''
        ]
    hcsc = results.get('hcsc')
    if hcsc:
        rows = []
        for i, r in enumerate(hcsc, 1):
            cells = [str(i), f'{r.get("hcsc/train_time", 0):.0f}']
            if 'hcsc/cluster_time' in r:
                cells += [
                    f'{r["hcsc/cluster_time"]:.1f}',
                    f'{r["hcsc/cluster_time"] / r["hcsc/train_time"]:.2f}'
                ]
                cells += [
                    f'{r[f"hcsc/{k}_l{lv}"]:.3f}' for lv in (0, 2)
                    for k in ('fn_precision', 'fn_recall', 'tn_precision',
                              'tn_recall')
                ]
            else:
                cells += ['-'] * 10
            rows.append(cells)
        parts += [
            '### HCSC: clustering time (its Table 4) and the selection of '
            'negatives (its Figure 1)', '',
            'Per epoch, from the hook\'s scalars. Clustering: features of '
            'the 60,000 images by the key encoder plus the hierarchical '
            'K-means, before the epoch (none in the warm-up epoch). FN: a '
            'removed negative shares the query\'s label (precision) / '
            'share of same-label negatives removed (recall); TN: the same '
            'for kept negatives and other labels. l0: the finest level, '
            'l2: the coarsest.', '',
            table([
                'epoch', 'train s', 'clustering s', 'clustering / train',
                'FN precision l0', 'FN recall l0', 'TN precision l0',
                'TN recall l0', 'FN precision l2', 'FN recall l2',
                'TN precision l2', 'TN recall l2'
            ], rows), ''
        ]
    knn = results.get('knn', {})
    ft = results.get('finetune', {})
    names = [n for n in args.candidates if n in knn or n in ft]
    if names:
        header = ['encoder'] + [f'kNN K={k}' for k in KS] + ['kNN best']
        rows = []
        for n in names:
            m = knn.get(n, {}).get('metrics', {})
            rows.append([n] + [
                f'{m[f"knn/top1_k{k}"]:.2f}' if f'knn/top1_k{k}' in m else '-'
                for k in KS
            ] + ([f'{m["knn/top1_best"]:.2f}'] if m else ['-']))
        parts += [
            '### Frozen features: weighted kNN top-1 (%)', '',
            table(header, rows), ''
        ]
    if ft:
        header = ['encoder', 'linear probe']
        for row in ROWS:
            header += [f'{row} {f * 100:g}%' for f in args.fractions]
        header += [f'Core - CE at {f * 100:g}%' for f in args.fractions]
        rows = []
        for n in names:
            if n not in ft:
                continue
            r = ft[n]
            cells = [n, f'{r["probe"]:.2f}']
            for row in ROWS:
                cells += [
                    fmt(r['final'][f'{row} {f:g}'].values())
                    for f in args.fractions
                ]
            for f in args.fractions:
                ce = r['final'][f'CE-tuning {f:g}']
                core = r['final'][f'Core-tuning {f:g}']
                cells.append(fmt([core[s] - ce[s] for s in sorted(ce)], '+'))
            rows.append(cells)
        parts += [
            '### Linear probe and fine-tuning: test top-1 (%), mean ± std '
            f'over {len(args.seeds)} seed(s)', '',
            'Core - CE: the gain of Core-tuning over CE-tuning, paired by '
            'seed.', '',
            table(header, rows), ''
        ]
    rank = results.get('rank')
    if rank:
        score_names = list(next(iter(rank['scores'].values())))
        parts += [
            f'### Transferability scores ({rank["samples"]:,} training '
            'images, before fine-tuning)', '',
            table(['encoder'] + score_names,
                  [[n] + [f'{rank["scores"][n][s]:.4f}' for s in score_names]
                   for n in rank['scores']]), ''
        ]
        if ft:
            rows = []
            corr = {}
            for target, accs in targets(args, ft, knn).items():
                c = correlations({n: rank['scores'][n] for n in accs}, accs)
                corr[target] = c
                rows.append(
                    [target] +
                    [f'{c[s][0]:+.2f} / {c[s][1]:+.2f}' for s in score_names])
            results['rank_correlation'] = corr
            parts += [
                'Rank correlation of each score with what the encoders '
                f'reach ({len(rank["scores"])} candidates), Kendall tau / '
                'Spearman rho:', '',
                table(['accuracy'] + score_names, rows), ''
            ]
    parts += [
        '### Time of each step', '',
        table(['step', 'time'], [[k, minutes(v)] for k, v in times.items()]),
        ''
    ]
    return '\n'.join(parts)


def environment():
    import platform

    import torch
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                            cwd=ROOT,
                            capture_output=True,
                            text=True).stdout.strip() or 'unknown'
    now = datetime.datetime.now(datetime.timezone.utc)
    return (f'{now:%Y-%m-%d %H:%M} UTC, {platform.node()}, '
            f'{os.cpu_count()} CPUs, torch {torch.__version__}, commit '
            f'{commit}')


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    start = time.time()
    results, times = {}, {}
    checkpoints = {}
    if 'pretrain' in args.stages:
        results['pretrain'] = pretrain_stage(args)
        for name, r in results['pretrain'].items():
            times[f'pre-training {name}'] = r['seconds']
    for name in args.methods:
        ckpt = last_checkpoint(
            osp.join(args.work_dir, 'pretrain', METHODS[name][0]))
        if ckpt is None:
            raise FileNotFoundError(
                f'no {name} pre-training in {args.work_dir}/pretrain: run '
                'the pretrain stage first (--stages pretrain)')
        checkpoints[name] = ckpt
    if 'HCSC' in args.methods:
        results['hcsc'] = hcsc_statistics(
            osp.join(args.work_dir, 'pretrain', 'hcsc'))
    if RANDOM in args.candidates:
        checkpoints[RANDOM] = random_checkpoint(args)
    for stage, fn, label in (('knn', knn_stage,
                              'kNN'), ('finetune', finetune_stage,
                                       'linear probe and fine-tuning'),
                             ('rank', rank_stage, 'transferability scores')):
        if stage not in args.stages:
            continue
        t = time.time()
        results[stage] = fn(args, checkpoints)
        times[label] = time.time() - t
    times['this call'] = time.time() - start
    if any(r['reused'] for r in results.get('pretrain', {}).values()):
        done = [v for k, v in times.items() if k != 'this call']
        times['every step (reused pre-trainings from their logs)'] = (
            None if None in done else sum(done))
    text = '\n'.join([
        '## Pre-training methods in miniature', '',
        f'- {environment()}; {args.jobs} fine-tuning runs at a time' +
        ('; QUICK: the figures mean nothing' if args.quick else ''), '',
        report(args, results, times)
    ])
    print('\n' + text)
    with open(osp.join(args.work_dir, 'pretrain_table.md'), 'w') as f:
        f.write(text)
    with open(osp.join(args.work_dir, 'pretrain_table.json'), 'w') as f:
        json.dump(
            dict(
                args={
                    k: v
                    for k, v in vars(args).items()
                },
                results=results,
                times=times),
            f,
            indent=1)
    return results


if __name__ == '__main__':
    main()
