"""Fine-tuning comparison on Fashion-MNIST with scarce labels: the Core-tuning
paper's Tables 1, 2 and 5 in miniature (docs/benchmarks.md).

The rows are the methods of a setting of the model index (``fmnist``:
every method's demo config, ``configs/<method>/r18-tiny_simclr_fmnist.py``:
the small ResNet-18, 28x28 images, SGD, cosine schedule, batch 128), in its
order, but those ``benchmarks.yml`` leaves out. Each starts
from the same contrastive pre-training (``--pretrained``) and trains on a
stratified 1% or 10% of the training labels. Three stages, a check and
the weight-space ensembles:

``probe``
    Linear probe (``configs/linear_probe/r18-tiny_fmnist.py``) on the
    10% subset, from the pre-training and from a random network.
``tune``
    Each row's grid (``benchmarks.yml``) at ``--tune-fraction``
    with seed 0, scored on a validation split carved from the training
    images (``--holdout`` of each class, never in any labelled subset); the
    best value is kept.
``final``
    Every row with its chosen values at each fraction and seed, scored on
    the full test split; mean +- std over seeds, and the gain over
    CE-tuning paired by seed.
``check``
    Whether the setting is a fine-tuning test at all: CE-tuning and the
    linear probe at ``--tune-fraction`` with every seed, scored on the
    validation split; it passes when CE-tuning's mean is above the probe's
    and its spread (std over seeds) is under one point. Not in the default
    stages.
``ensemble``
    Weight-space ensembles (``mmctune.engine.weight_ensemble``), chosen on
    the validation split and tested on the test split, for every fraction
    and seed; not in the default stages, and it needs ``tune``'s choices.
    WiSE-FT of each ``--wise-ft-rows`` row's final runs: the pre-trained
    backbone interpolated with the fine-tuned one, alpha in 0, 0.1, ..., 1.
    Model soups of ``--soup-row``'s grid: every point trained at every
    fraction and seed, then the best single run, the uniform soup and the
    greedy soup of those runs. BN statistics of a mixed model are
    recomputed from the run's labelled training images. The ensembles are
    written beside ``ensemble.json`` under ``<work-dir>/ensemble`` and
    reused while their runs are.
``tsne``
    The features of the same ``--tsne-images`` test images by CE-tuning's
    and Core-tuning's final runs (``--tsne-fraction``, the first seed),
    each embedded in 2-D by t-SNE, stored in ``<work-dir>/tsne.json`` (the
    Core-tuning paper's t-SNE figure;
    ``.dev_scripts/benchmarks/plot_results.py`` draws it). Not in the
    default stages, and it needs ``tune``'s choices; the final runs are
    reused.

The labelled subsets are the same for every run (subset seed 0, nested:
the 1% inside the 10%); the seeds vary the training (initialisation of the
new layers, batches, augmentation, mining). Every run trains on
``--images`` labelled-image draws (epochs = images / subset size, so 1% and
10% take the same number of steps). Runs go ``--jobs`` at a time, each in
its own process with its share of the CPU threads; each writes
``result.json`` in its work directory and a second invocation reuses it if
the run's config is the same (its SHA-1 is in the file).

``--setting imagenet-mbv2`` runs the same protocol from torchvision's
supervised ImageNet MobileNetV2 (``configs/<method>/mbv2_in1k_fmnist.py``,
images resized to 32x32, 6,000 draws per run) for CE-tuning, SCL, L2-SP,
BSS, COIN and Core-tuning; its checkpoint comes from
``tools/model_converters/mobilenet_v2_imagenet.py``.
``--setting imagenet-mbv2-12k`` runs the same configs for 12,000 draws
(2 epochs at 10%, 20 at 1%), against a linear probe that trains the
classifier only (``configs/linear_probe/mbv2_in1k_fmnist.py``; the
probe of ``imagenet-mbv2`` also trains MobileNetV2's last 1x1 conv): the
setting where CE-tuning passes ``--stages check``.

``--cfg-options KEY=VALUE ...`` changes every fine-tuning run's config
(not the probe's), e.g. a lower learning rate for ``--stages check``.

    python .dev_scripts/benchmarks/finetune_table.py \
        --pretrained work_dirs/benchmarks/pretrain/epoch_4.pth
    python .dev_scripts/benchmarks/finetune_table.py --pretrained CKPT --quick
    python .dev_scripts/benchmarks/finetune_table.py --setting imagenet-mbv2
    python .dev_scripts/benchmarks/finetune_table.py \
        --setting imagenet-mbv2-12k --stages check
    python .dev_scripts/benchmarks/finetune_table.py --pretrained CKPT \
        --rows CE-tuning Core-tuning --stages tune final ensemble
    python .dev_scripts/benchmarks/finetune_table.py --pretrained CKPT \
        --stages probe tune final tsne

Prints the tables (markdown) and writes them to ``<work-dir>/tables.md``,
the raw results to ``<work-dir>/results.json`` (the tsne stage's points to
``<work-dir>/tsne.json``).
"""
import argparse
import copy
import json
import os
import os.path as osp
import statistics
import time
from itertools import product

from benchlib import (class_sizes, config_of, load_settings, set_by_path,
                      set_epochs, setting_configs)
from sweep import SweepJob, run_jobs

from mmctune.apis import ModelHub
from mmctune.apis.model import role_of
from mmctune.utils.cfg_check import check_cfg_options
from mmctune.utils.dict_action import DictAction

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# benchmarks.yml: --setting (the model index's setting, the linear probe and
# what it trains, default --pretrained / --work-dir / --images, what the
# pre-training is), the methods left out, the grids
BENCHMARK = load_settings('finetune_table')
SETTINGS = BENCHMARK['settings']
# the check stage passes when CE-tuning's spread is under this (points)
CHECK_SPREAD = BENCHMARK['check_spread']
# a grid's config path -> the short name its tables give it (eta, alpha, ...)
PARAM_NAMES = {
    g['path']: g['name']
    for grids in [BENCHMARK['grids']] +
    [spec.get('grids', {}) for spec in SETTINGS.values()]
    for grid in grids.values() if isinstance(grid, list) for g in grid
}


def row_grid(name, setting=None):
    """What a row tunes (benchmarks.yml): {config path: values} in the file's
    order ({}: nothing), or the name of the row whose chosen values it
    takes. A ``--setting``'s own ``grids`` replace the common ones row by
    row."""
    grids = dict(BENCHMARK['grids'])
    if setting is not None:
        grids.update(SETTINGS[setting].get('grids', {}))
    grid = grids.get(name) or []
    if isinstance(grid, dict):
        return grid['same_as']
    return {g['path']: tuple(g['values']) for g in grid}


def setting_rows(setting):
    """(name, config, grid) of every row of a ``--setting``: the methods of
    its model-index setting with a role of ``roles`` but those of
    ``leave_out`` (benchmarks.yml), in the tables' order (the index's);
    grid as ``row_grid``."""
    spec = SETTINGS[setting]
    return tuple((name, config, row_grid(name, setting)) for name, config in
                 setting_configs(spec['index_setting'], BENCHMARK['roles'])
                 if name not in BENCHMARK['leave_out'])


def row_with_role(setting, role):
    """The name of the row of ``--setting`` whose method has ``role``
    (reference: CE-tuning; proposed: Core-tuning)."""
    for name, _, _ in setting_rows(setting):
        if role_of(ModelHub.collection(name)) == role:
            return name
    raise KeyError(f'--setting {setting} has no {role} method')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--setting',
        choices=sorted(SETTINGS),
        default='simclr-r18-tiny',
        help='simclr-r18-tiny: the small ResNet from the project\'s own '
        'SimCLR pre-training (--pretrained); imagenet-mbv2: MobileNetV2 from '
        'torchvision\'s ImageNet weights (default --pretrained '
        'checkpoints/mobilenet_v2_imagenet.pth, written by '
        'tools/model_converters/mobilenet_v2_imagenet.py); '
        'imagenet-mbv2-12k: its configs for 12,000 draws, against a probe '
        'that trains the linear classifier only')
    parser.add_argument(
        '--pretrained',
        help='the pre-trained checkpoint (required for simclr-r18-tiny)')
    parser.add_argument('--data-root', default='data/fashion_mnist')
    parser.add_argument(
        '--work-dir',
        help='default: work_dirs/benchmarks/finetune (simclr-r18-tiny), '
        'work_dirs/benchmarks/finetune_mbv2 (imagenet-mbv2), '
        'work_dirs/benchmarks/finetune_mbv2_12k (imagenet-mbv2-12k)')
    parser.add_argument(
        '--stages',
        nargs='+',
        default=['probe', 'tune', 'final'],
        choices=['probe', 'tune', 'final', 'check', 'ensemble', 'tsne'],
        help='check (not a default): CE-tuning against the linear probe on '
        'the validation split, every seed, at --tune-fraction; ensemble '
        '(not a default): WiSE-FT of the final runs of --wise-ft-rows, and '
        'soups of --soup-row\'s grid trained at every fraction and seed; '
        'tsne (not a default): t-SNE of CE-tuning\'s and Core-tuning\'s '
        'features of the same test images, to tsne.json')
    parser.add_argument(
        '--wise-ft-rows',
        nargs='+',
        metavar='ROW',
        help='ensemble stage: the rows whose final runs WiSE-FT '
        'interpolates with the pre-training (default: the setting\'s '
        'reference and proposed methods, CE-tuning and Core-tuning)')
    parser.add_argument(
        '--soup-row',
        metavar='ROW',
        help='ensemble stage: the row whose grid is the soups\' sweep '
        '(default: the proposed method, Core-tuning)')
    parser.add_argument(
        '--tsne-images',
        type=int,
        default=1000,
        help='tsne stage: the first N test images (default 1,000)')
    parser.add_argument(
        '--tsne-fraction',
        type=float,
        help='tsne stage: the final runs of this fraction (default: the '
        'largest of --fractions), first seed')
    parser.add_argument(
        '--rows',
        nargs='+',
        metavar='ROW',
        help='a subset of the setting\'s rows: '
        f'{", ".join(r[0] for r in setting_rows("simclr-r18-tiny"))} '
        '(simclr-r18-tiny), '
        f'{", ".join(r[0] for r in setting_rows("imagenet-mbv2"))} '
        '(imagenet-mbv2, imagenet-mbv2-12k)')
    parser.add_argument(
        '--fractions', type=float, nargs='+', default=[0.01, 0.1])
    parser.add_argument('--tune-fraction', type=float, default=0.1)
    parser.add_argument(
        '--tune-each-fraction',
        action='store_true',
        help='tune at each of --fractions instead of at --tune-fraction, '
        'and run each fraction\'s final runs at the values chosen there')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--holdout',
        type=float,
        default=1 / 60,
        help='fraction of each class held out of the training images as '
        'the validation split of the tuning (default 1/60: 1,000 images)')
    parser.add_argument(
        '--images',
        type=int,
        help='labelled-image draws per run (default 12,000 for '
        'simclr-r18-tiny: 2 epochs at 10%%, 20 at 1%%; 6,000 for '
        'imagenet-mbv2; 12,000 for imagenet-mbv2-12k)')
    parser.add_argument(
        '--probe-epochs', type=int, default=10, help='linear probe epochs')
    parser.add_argument(
        '--test-images',
        type=int,
        help='test on the first N test images (default: all 10,000)')
    parser.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='runs at a time, each in its own process with cpu_count / jobs '
        'threads (1: one after the other in this process)')
    parser.add_argument(
        '--chosen-from',
        metavar='RESULTS_JSON',
        help='without the tune stage: run each row at the values chosen by '
        'the tune stage of an earlier call (its <work-dir>/results.json), '
        'e.g. the tuned points at more --images or another --img-size')
    parser.add_argument(
        '--img-size',
        type=int,
        help='resize the images to N x N in every run, the linear probe\'s '
        'included (settings whose configs resize: imagenet-mbv2, '
        'imagenet-mbv2-12k at 32 x 32)')
    parser.add_argument(
        '--diagnose',
        action='store_true',
        help='every run also writes what it did at each iteration (loss '
        'terms, learning rates, gradient norms, BN statistics: '
        'TrainDiagnosticsHook) to <run dir>/<time stamp>/diagnostics.jsonl; '
        'its runs go to folders ending in _diagnosed, beside the plain ones, '
        'which it neither reuses nor replaces (compare them with '
        '.dev_scripts/benchmarks/diagnose_runs.py)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        metavar='KEY=VALUE',
        help='set these in the config of every fine-tuning run (not the '
        'linear probe\'s), after the row\'s values, e.g. '
        'optim_wrapper.optimizer.lr=0.001 model.backbone.norm_eval=True')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='minutes instead of an hour: 1 seed, the first two values of '
        'each grid tuned at 1%% labels (and souped), 1,000 image draws per '
        'run, 2,000 test images, 2 probe epochs, WiSE-FT alphas 0, 0.5, 1')
    args = parser.parse_args(argv)
    setting = SETTINGS[args.setting]
    args.row_table = setting_rows(args.setting)
    # the rows the gains and verdicts are against, and the method they test
    args.reference = row_with_role(args.setting, 'reference')
    args.proposed = row_with_role(args.setting, 'proposed')
    args.wise_ft_rows = args.wise_ft_rows or [args.reference, args.proposed]
    args.soup_row = args.soup_row or args.proposed
    args.probe_config = config_of(setting['probe'])
    args.pretrained = args.pretrained or setting['pretrained']
    if args.pretrained is None:
        parser.error(f'--setting {args.setting} needs --pretrained')
    args.work_dir = args.work_dir or setting['work_dir']
    args.images = args.images or setting['images']
    if args.quick:
        args.seeds = args.seeds[:1]
        args.tune_fraction = min(args.fractions)
        args.images = 1000
        args.test_images = args.test_images or 2000
        args.probe_epochs = 2
    names = [r[0] for r in args.row_table]
    unknown = set(args.rows or ()) - set(names)
    if unknown:
        parser.error(f'unknown rows {sorted(unknown)}; choose from {names}')
    if args.chosen_from and 'tune' in args.stages:
        parser.error('--chosen-from replaces the tune stage: leave tune out '
                     'of --stages')
    if 'ensemble' in args.stages:
        if 'tune' not in args.stages:
            parser.error('the ensemble stage takes the rows\' values from '
                         'the tune stage: add tune to --stages (its runs are '
                         'reused when they exist)')
        grids = {r[0]: r[2] for r in args.row_table}
        unknown = set(args.wise_ft_rows + [args.soup_row]) - set(names)
        if unknown:
            parser.error(f'unknown rows {sorted(unknown)} for the ensemble '
                         f'stage; choose from {names}')
        outside = set(args.wise_ft_rows) - set(args.rows or names)
        if outside:
            parser.error(f'--wise-ft-rows {sorted(outside)} are not among '
                         '--rows: add them, so that the tune stage chooses '
                         'their values')
        if not isinstance(grids[args.soup_row], dict) or len(
                grid_points(grids[args.soup_row], args.quick)) < 2:
            soupable = [
                n for n, g in grids.items()
                if isinstance(g, dict) and len(grid_points(g, args.quick)) > 1
            ]
            parser.error(f'--soup-row {args.soup_row} has no grid of two or '
                         f'more points to soup; choose from {soupable}')
    if 'tsne' in args.stages:
        if 'tune' not in args.stages:
            parser.error('the tsne stage takes the rows\' values from the '
                         'tune stage: add tune to --stages (its runs are '
                         'reused when they exist)')
        outside = {args.reference, args.proposed} - set(args.rows or names)
        if outside:
            parser.error(f'the tsne stage compares {args.reference} and '
                         f'{args.proposed}: add {sorted(outside)} to --rows')
        if args.tsne_fraction is None:
            args.tsne_fraction = max(args.fractions)
        if args.tsne_fraction not in args.fractions:
            parser.error(f'--tsne-fraction {args.tsne_fraction} is not one '
                         f'of --fractions {args.fractions}')
        if args.tsne_images < 5:
            parser.error('--tsne-images: 5 or more')
    for frac in args.fractions + [args.tune_fraction]:
        if not 0 < frac <= 1 - args.holdout:
            parser.error(f'fraction {frac} is not in (0, 1 - holdout]')
    return args


def chosen_from(args):
    """The values the tune stage of ``--chosen-from``'s call chose for
    every tuned row of ``--rows`` (as ``tune_stage``: the best validation
    top-1, ties the first), as points of this call's grids, at each of
    ``--fractions`` ({fraction: {row: point}}): a call that tuned at each
    fraction gives each fraction's values."""
    with open(args.chosen_from) as f:
        raw = json.load(f)
    by_fraction = raw.get('tune_by_fraction')
    if by_fraction:
        missing = [f for f in args.fractions if str(f) not in by_fraction]
        if missing:
            raise SystemExit(
                f'--chosen-from {args.chosen_from}: tuned at '
                f'{sorted(float(f) for f in by_fraction)} only, not at '
                f'{missing}; give --fractions among those')
        return {
            f: chosen_rows(args, by_fraction[str(f)])
            for f in args.fractions
        }
    if not raw.get('tune'):
        raise SystemExit(f'--chosen-from {args.chosen_from}: no tune stage '
                         'in it; give the results.json of a call with '
                         '--stages tune')
    chosen = chosen_rows(args, raw['tune'])
    return {f: chosen for f in args.fractions}


def chosen_rows(args, tuned):
    """{row: its best point in ``tuned`` ({row: [[point, top-1]]})} for
    the tuned rows of ``--rows``."""
    chosen = {}
    for name, _, grid in rows_of(args):
        if isinstance(grid, str) or not grid:
            continue
        if name not in tuned:
            raise SystemExit(f'--chosen-from {args.chosen_from}: {name} was '
                             f'not tuned there (tuned: {sorted(tuned)}); '
                             'tune it, or leave it out of --rows')
        best = max(tuned[name], key=lambda ps: ps[1])[0]
        if set(best) != set(grid):
            raise SystemExit(f'--chosen-from {args.chosen_from}: {name} was '
                             f'tuned over {sorted(best)} there, not this '
                             f'setting\'s {sorted(grid)}')
        chosen[name] = tuple((path, best[path]) for path in grid)
    return chosen


def grid_points(grid, quick=False):
    """Every combination of a row's grid as a tuple of (path, value)."""
    if not grid:
        return [()]
    keys = list(grid)
    values = [grid[k][:2] if quick else grid[k] for k in keys]
    return [tuple(zip(keys, combo)) for combo in product(*values)]


def describe(point):
    return ', '.join(f'{PARAM_NAMES.get(k, k)}={v:g}' for k, v in point) or '-'


def slug(text):
    return ''.join(c if c.isalnum() or c in '.-' else '_' for c in text)


def labelled(fraction, holdout, dataset, split='train'):
    return dict(
        type='LabelFraction',
        fraction=fraction,
        seed=0,
        holdout=holdout,
        split=split,
        dataset=dataset)


def job_config(config,
               point,
               fraction,
               seed,
               evaluate_on,
               args,
               work_dir,
               pretrained=True,
               options=None):
    """The config of one run: ``config`` with ``point``'s values, trained on
    the labelled ``fraction`` (LabelFraction with the hold-out) for
    ``--images`` draws, tested on the validation split (``evaluate_on=
    'val'``) or the test split (``'test'``); no validation during
    training. ``options`` (``--cfg-options``) are merged last; a top-level
    key that the config lacks and the runner does not read is refused."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    for path, value in point:
        set_by_path(cfg, path, value)
    if pretrained:
        cfg.model.backbone.init_cfg.checkpoint = args.pretrained
    else:
        cfg.model.backbone.init_cfg = None

    train_set = cfg.train_dataloader.dataset
    train_set.data_root = args.data_root
    train_set.indices = None
    test_set = copy.deepcopy(cfg.val_dataloader.dataset)
    test_set.data_root = args.data_root
    if evaluate_on == 'val':
        # mmpretrain's MNIST datasets read the test files when test_mode
        test_set = dict(test_set, split='train', test_mode=False)
        test_set = labelled(1.0, args.holdout, test_set, split='val')
    else:
        test_set.indices = args.test_images
    cfg.train_dataloader.dataset = labelled(fraction, args.holdout, train_set)
    held_out_data(cfg, args, train_set)
    cfg.test_dataloader = dict(cfg.val_dataloader, dataset=test_set)
    cfg.test_evaluator = cfg.val_evaluator
    cfg.test_cfg = dict()
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None

    n_train = sum(
        max(1, round(fraction * n)) for n in class_sizes(args.data_root))
    epochs = max(1, round(args.images / n_train))
    set_epochs(cfg, epochs)
    cfg.train_cfg.pop('val_interval', None)
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.default_hooks.checkpoint = dict(
        type='AtomicCheckpointHook',
        interval=epochs,
        max_keep_ckpts=1,
        save_best=None)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    cfg.log_level = 'WARNING'
    cfg.work_dir = work_dir
    if args.img_size:
        set_img_size(cfg, args.img_size, config)
    if args.diagnose:
        cfg.custom_hooks = list(cfg.get('custom_hooks')
                                or []) + [dict(type='TrainDiagnosticsHook')]
    if options:
        check_cfg_options(cfg, options)
        cfg.merge_from_dict(options)
    return cfg


def held_out_data(cfg, args, train_set):
    """Point every hook that reads labelled data of its own (its
    ``dataloader``: TPGM's projection data) at the hold-out, the
    validation split, read with the test pipeline: the images no training
    subset of the sweep touches. In the tuning runs this is the split they
    are scored on, as in TPGM's official code (its validation split both
    learns the radii and selects the model); in the final runs the test
    split stays unseen."""
    for hook in cfg.get('custom_hooks') or []:
        if isinstance(hook, dict) and 'dataloader' in hook:
            data = dict(
                copy.deepcopy(train_set),
                pipeline=copy.deepcopy(cfg.val_dataloader.dataset.pipeline),
                test_mode=False)
            hook['dataloader']['dataset'] = labelled(
                1.0, args.holdout, data, split='val')


def set_img_size(cfg, size, config):
    """Every ``Resize`` of ``cfg``'s data pipelines to ``size`` x ``size``;
    a config that resizes nothing is refused (its images keep their
    size)."""
    found = []

    def visit(node):
        if isinstance(node, dict):
            for transform in node.get('pipeline') or []:
                if str(transform.get('type', '')).endswith('Resize'):
                    transform['scale'] = (size, size)
                    found.append(transform)
            for value in node.values():
                visit(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                visit(value)

    for key in ('train_dataloader', 'test_dataloader'):
        visit(cfg.get(key))
    if not found:
        raise SystemExit(f'--img-size: {config} resizes no images (no Resize '
                         'in its data pipelines); the settings whose configs '
                         'resize are imagenet-mbv2 and imagenet-mbv2-12k')


def sweep_job(name, work_dir, **config_args):
    """A run of the sweep: ``job_config(**config_args)`` in ``work_dir``
    (``<work_dir>_diagnosed`` with ``--diagnose``)."""
    if config_args['args'].diagnose:
        work_dir += '_diagnosed'
    return SweepJob(name, work_dir,
                    job_config(**config_args, work_dir=work_dir))


def mean_std(values):
    mean = statistics.mean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, std


def fmt(values):
    mean, std = mean_std(values)
    return f'{mean:.2f} ± {std:.2f}' if len(values) > 1 else f'{mean:.2f}'


def pct(fraction):
    return f'{fraction * 100:g}%'


def probe_stage(args):
    probe_args = copy.copy(args)
    probe_args.images = args.probe_epochs * round(
        0.1 * sum(class_sizes(args.data_root)))
    jobs = [
        sweep_job(
            f'linear probe, {name}',
            osp.join(args.work_dir, 'probe', slug(name)),
            config=args.probe_config,
            point=(),
            fraction=0.1,
            seed=0,
            evaluate_on='test',
            args=probe_args,
            pretrained=pretrained)
        for name, pretrained in (('pre-trained', True), ('random', False))
    ]
    results = run_jobs(jobs, args.jobs)
    lines = [
        '| backbone | labelled images | epochs | test images | linear-probe '
        'top-1 (%) |', '|---|---|---|---|---|'
    ]
    names = (SETTINGS[args.setting]['pretraining'], 'random initialisation')
    for name, r in zip(names, results):
        lines.append(f'| {name} | {r["train_images"]:,} | {r["epochs"]} | '
                     f'{r["test_images"]:,} | {r["top1"]:.2f} |')
    return '\n'.join(lines), dict(zip(('pretrained', 'random'), results))


def rows_of(args):
    return [r for r in args.row_table if not args.rows or r[0] in args.rows]


def tune_fractions(args):
    """The fractions the tune stage tunes at."""
    return (list(args.fractions)
            if args.tune_each_fraction else [args.tune_fraction])


def tune_stage(args):
    """Every row's grid at each tuning fraction (``tune_fractions``), seed
    0, on the validation split. Returns the tables, the chosen point of
    each row at every fraction of ``--fractions`` ({fraction: {row:
    point}}: the values chosen at that fraction, or at ``--tune-fraction``)
    and the scores ({tuning fraction: {row: [(point, top-1)]}})."""
    tables, chosen, scores = [], {}, {}
    for fraction in tune_fractions(args):
        table, chosen[fraction], scores[fraction] = tune_at(args, fraction)
        tables.append(table)
    if not args.tune_each_fraction:
        chosen = {f: chosen[args.tune_fraction] for f in args.fractions}
    return '\n\n'.join(tables), chosen, scores


def tune_at(args, tune_fraction):
    """Every row's grid at ``tune_fraction``, seed 0, on the validation
    split; the chosen point of each row (ties: the first)."""
    jobs, owners = [], []
    for name, config, grid in rows_of(args):
        if isinstance(grid, str):
            continue
        points = grid_points(grid, args.quick)
        if len(points) == 1 and not grid:
            continue  # nothing to tune
        for point in points:
            jobs.append(
                sweep_job(
                    f'{name} {describe(point)} (validation)',
                    osp.join(args.work_dir, 'tune', slug(name),
                             f'{pct(tune_fraction)}_{slug(describe(point))}'),
                    config=config,
                    point=point,
                    fraction=tune_fraction,
                    seed=0,
                    evaluate_on='val',
                    args=args,
                    options=args.cfg_options))
            owners.append((name, point))
    results = run_jobs(jobs, args.jobs)
    scores = {}
    for (name, point), r in zip(owners, results):
        scores.setdefault(name, []).append((point, r['top1']))
    chosen = {
        name: max(points, key=lambda p: p[1])[0]
        for name, points in scores.items()
    }
    lines = [
        f'| method | values (validation top-1 %, {pct(tune_fraction)} '
        'labels, seed 0) | chosen |', '|---|---|---|'
    ]
    for name, points in scores.items():
        cells = '; '.join(f'{describe(p)}: {s:.2f}' for p, s in points)
        lines.append(f'| {name} | {cells} | {describe(chosen[name])} |')
    return '\n'.join(lines), chosen, scores


def final_jobs(args, chosen, rows):
    """The final runs of ``rows`` (name, config, grid): every fraction and
    seed at the row's values chosen for that fraction (``chosen``: {fraction:
    {row: point}}; a row without: its config's values), tested on the test
    split. Returns (jobs, owners: (name, point, fraction, seed) of each)."""
    jobs, owners = [], []
    for name, config, grid in rows:
        # a row whose grid is a name takes the values chosen for that row
        key = grid if isinstance(grid, str) else name
        for fraction, seed in product(args.fractions, args.seeds):
            point = chosen.get(fraction, {}).get(key, ())
            jobs.append(
                sweep_job(
                    f'{name} {describe(point)} {pct(fraction)} seed {seed}',
                    osp.join(
                        args.work_dir, 'final', slug(name),
                        f'{pct(fraction)}_{slug(describe(point))}_'
                        f'seed{seed}'),
                    config=config,
                    point=point,
                    fraction=fraction,
                    seed=seed,
                    evaluate_on='test',
                    args=args,
                    options=args.cfg_options))
            owners.append((name, point, fraction, seed))
    return jobs, owners


def final_stage(args, chosen):
    jobs, owners = final_jobs(args, chosen, rows_of(args))
    results = run_jobs(jobs, args.jobs)
    top1 = {}
    for (name, point, fraction, seed), r in zip(owners, results):
        top1.setdefault((name, fraction), {})[seed] = r['top1']
    return final_table(args, top1, owners, results), top1


def final_table(args, top1, owners, results):
    names = list(dict.fromkeys(o[0] for o in owners))
    points = {}  # name -> {fraction: the point run there}
    for name, point, fraction, _ in owners:
        points.setdefault(name, {})[fraction] = point
    seconds = {}
    for (name, *_), r in zip(owners, results):
        seconds.setdefault(name, []).append(r['seconds'])
    head = ' | '.join(f'{pct(f)} labels | gain at {pct(f)}'
                      for f in args.fractions)
    lines = [
        f'| method | settings | {head} | s per run |',
        '|---|---|' + '---|---|' * len(args.fractions) + '---|'
    ]
    for name in names:
        cells = []
        for f in args.fractions:
            runs = top1[(name, f)]
            cells.append(fmt(list(runs.values())))
            cells.append(gain(runs, top1.get((args.reference, f))))
        lines.append(f'| {name} | {describe_at(points[name])} | '
                     f'{" | ".join(cells)} | '
                     f'{statistics.mean(seconds[name]):.0f} |')
    lines += [
        '', 'Each seed\'s test top-1 (%), and its gain over '
        f'{args.reference} at the same seed:', ''
    ]
    seeds = sorted({s for runs in top1.values() for s in runs})
    lines += [
        '| method | labels | ' + ' | '.join(f'seed {s}' for s in seeds) + ' |',
        '|---|---|' + '---|' * len(seeds)
    ]
    for name in names:
        for f in args.fractions:
            runs, ce = top1[(name, f)], top1.get((args.reference, f), {})
            cells = [
                f'{runs[s]:.2f}' +
                (f' ({runs[s] - ce[s]:+.2f})' if s in ce
                 and name != args.reference else '') if s in runs else '-'
                for s in seeds
            ]
            lines.append(f'| {name} | {pct(f)} | {" | ".join(cells)} |')
    return '\n'.join(lines)


def describe_at(points):
    """A row's values ({fraction: point}): one description when every
    fraction ran the same, else each fraction's."""
    if len(set(points.values())) == 1:
        return describe(next(iter(points.values())))
    return '; '.join(f'{pct(f)}: {describe(p)}' for f, p in points.items())


def gain(runs, ce_runs):
    """Mean +- std over seeds of (method - the reference, CE-tuning) with
    the same seed."""
    if not ce_runs:
        return 'n/a'
    diffs = [runs[s] - ce_runs[s] for s in runs if s in ce_runs]
    if not diffs:
        return 'n/a'
    mean, std = mean_std(diffs)
    return f'{mean:+.2f} ± {std:.2f}' if len(diffs) > 1 else f'{mean:+.2f}'


def verdict(top1, fraction, proposed, reference):
    """The proposed method (Core-tuning) against the reference (CE-tuning) at
    ``fraction``, as measured."""
    core, ce = top1.get((proposed, fraction)), top1.get((reference, fraction))
    if not core or not ce:
        return ''
    diffs = [core[s] - ce[s] for s in core if s in ce]
    (cm,
     cs), (em,
           es) = mean_std(list(core.values())), mean_std(list(ce.values()))
    dm, ds = mean_std(diffs)
    wins = sum(d > 0 for d in diffs)
    if len(diffs) < 2:
        word = (f'is higher than {reference} on the one seed run (no spread '
                'to compare with)' if dm > 0 else f'does not beat {reference}')
    elif dm > 0 and dm > ds:
        word = f'beats {reference}: the gain is larger than its spread'
    elif dm > 0:
        word = (f'is above {reference} on average, but within the spread '
                'over seeds')
    else:
        word = f'does not beat {reference}'
    return (f'At {pct(fraction)} labels {proposed} {word}: '
            f'{cm:.2f} ± {cs:.2f} against {em:.2f} ± {es:.2f} '
            f'(gain {dm:+.2f} ± {ds:.2f} paired by seed; higher in {wins} '
            f'of {len(diffs)} seeds).')


def soup_jobs(args):
    """The soups' ingredients: every point of ``--soup-row``'s grid trained
    at every fraction and seed (tested on the test split, for reference).
    Returns [((fraction, seed), point, SweepJob)]."""
    name, config, grid = next(r for r in args.row_table
                              if r[0] == args.soup_row)
    out = []
    for fraction, seed in product(args.fractions, args.seeds):
        for point in grid_points(grid, args.quick):
            out.append(((fraction, seed), point,
                        sweep_job(
                            f'{name} {describe(point)} {pct(fraction)} seed '
                            f'{seed} (soup ingredient)',
                            osp.join(args.work_dir, 'soup', slug(name),
                                     f'{pct(fraction)}_seed{seed}',
                                     slug(describe(point))),
                            config=config,
                            point=point,
                            fraction=fraction,
                            seed=seed,
                            evaluate_on='test',
                            args=args,
                            options=args.cfg_options)))
    return out


# ----------------------------------------------------------------------
# ensemble stage: WiSE-FT and model soups, chosen on the validation split
# ----------------------------------------------------------------------
# training batches a mixed model's BN statistics are recomputed from (at
# most: a 1% subset has fewer), as tools/model_converters/weight_ensemble.py
ENSEMBLE_BN_BATCHES = 100
ENSEMBLE_FILE = 'ensemble.json'


def ensemble_config(job, args):
    """A finished run's config with ``val_dataloader`` / ``val_evaluator``
    the tuning's validation split (the hold-out of the training images; the
    run trained without it) and the test split it was tested on."""
    cfg = job.config()
    dataset = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset.pop('indices', None)
    # mmpretrain's MNIST datasets read the test files when test_mode
    dataset = dict(dataset, split='train', test_mode=False)
    cfg.val_dataloader = dict(
        copy.deepcopy(cfg.test_dataloader),
        dataset=labelled(1.0, args.holdout, dataset, split='val'))
    cfg.val_evaluator = copy.deepcopy(cfg.test_evaluator)
    return cfg


def checkpoint_of(job):
    """The checkpoint a finished run saved (its ``last_checkpoint``)."""
    path = osp.join(job.work_dir, 'last_checkpoint')
    if osp.isfile(path):
        with open(path) as f:
            ckpt = f.read().strip()
        if osp.isfile(ckpt):
            return ckpt
    raise FileNotFoundError(
        f'{job.work_dir} holds no checkpoint (last_checkpoint): delete its '
        'result.json so that the run trains again')


def ensemble_key(kind, results, args, alphas=None):
    """What an ensemble's result depends on: its runs (their config SHA-1,
    and their time, which tells a run trained again from the same config)
    and its settings."""
    import hashlib
    text = json.dumps(
        dict(
            kind=kind,
            runs=[(r['config_sha1'], r.get('seconds')) for r in results],
            alphas=alphas,
            bn_batches=ENSEMBLE_BN_BATCHES,
            holdout=args.holdout))
    return hashlib.sha1(text.encode()).hexdigest()


def cached_ensemble(folder, key, make):
    """``folder``'s ensemble.json if it was made with ``key``, else
    ``make()``'s record, written there."""
    path = osp.join(folder, ENSEMBLE_FILE)
    if osp.isfile(path):
        with open(path) as f:
            record = json.load(f)
        if record.get('key') == key:
            return record
    record = dict(make(), key=key)
    os.makedirs(folder, exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump(record, f, indent=1)
    os.replace(path + '.tmp', path)
    return record


def save_ensemble(state_dict, path, what):
    import torch
    torch.save(
        dict(state_dict=state_dict, meta=dict(weight_ensemble=what)), path)


def quiet(_):
    pass


def ensemble_device():
    import torch
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def wise_ft_run(job, result, args, alphas, folder):
    """WiSE-FT of one finished run: alpha chosen on the validation split,
    the chosen model tested on the test split (and written to
    ``folder/wise_ft.pth``)."""
    from mmctune.engine import weight_ensemble as we

    def make():
        cfg = ensemble_config(job, args)
        val = we.Validation(cfg, 'accuracy/top1', ENSEMBLE_BN_BATCHES,
                            ensemble_device())
        theta0 = we.pretrained_backbone(cfg, None, 'backbone.')
        finetuned, _ = we.load_weights(checkpoint_of(job))
        chosen = we.wise_ft(val, theta0, finetuned, alphas, log=quiet)
        test = val.test(chosen['state_dict'], f'alpha={chosen["alpha"]:g}')
        os.makedirs(folder, exist_ok=True)
        save_ensemble(chosen['state_dict'], osp.join(folder, 'wise_ft.pth'),
                      dict(alpha=chosen['alpha'], run=job.work_dir))
        return dict(
            alpha=chosen['alpha'],
            val=chosen['score'],
            top1=float(test['accuracy/top1']),
            candidates={
                f'{c["alpha"]:g}': float(c['metrics']['accuracy/top1'])
                for c in chosen['candidates']
            })

    return cached_ensemble(folder,
                           ensemble_key('wise-ft', [result], args, alphas),
                           make)


def soup_run(items, results, args, folder):
    """The soups of one fraction and seed's sweep: ``items`` are (point,
    job); the best single run on the validation split, the uniform soup and
    the greedy soup, each tested on the test split."""
    from mmctune.engine import weight_ensemble as we

    def make():
        cfg = ensemble_config(items[0][1], args)
        val = we.Validation(cfg, 'accuracy/top1', ENSEMBLE_BN_BATCHES,
                            ensemble_device())
        state_dicts = [we.load_weights(checkpoint_of(j))[0] for _, j in items]
        names = [describe(p) for p, _ in items]
        made = we.soups(val, state_dicts, names, log=quiet)
        scores = [r['score'] for r in made['ingredients']]
        best = max(range(len(items)), key=lambda i: scores[i])
        record = dict(
            ingredients=[
                dict(point=n, val=v, top1=r['top1'])
                for n, v, r in zip(names, scores, results)
            ],
            best=dict(
                index=best,
                point=names[best],
                val=scores[best],
                top1=results[best]['top1']))
        os.makedirs(folder, exist_ok=True)
        for recipe in ('uniform', 'greedy'):
            soup = made[recipe]
            test = val.test(soup['state_dict'], f'{recipe} soup')
            record[recipe] = dict(
                val=soup['score'], top1=float(test['accuracy/top1']))
            save_ensemble(
                soup['state_dict'], osp.join(folder, f'soup_{recipe}.pth'),
                dict(recipe=recipe, runs=[j.work_dir for _, j in items]))
        record['greedy'].update(
            kept=[names[i] for i in made['greedy']['kept']])
        return record

    return cached_ensemble(folder, ensemble_key('soup', results, args), make)


def ensemble_stage(args, chosen):
    """WiSE-FT of ``--wise-ft-rows``' final runs, and the soups of
    ``--soup-row``'s grid trained at every fraction and seed, each chosen on
    the validation split and tested on the test split; beside CE-tuning's
    and Core-tuning's final runs, paired by seed."""
    from mmengine.registry import DefaultScope

    from mmctune.utils import register_all_modules

    # the runs train in workers; the ensembles are built here, in this
    # process's registries (and with the runtime fixes that load them)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmctune'):
        return _ensemble_stage(args, chosen)


def _ensemble_stage(args, chosen):
    from mmctune.engine.weight_ensemble import DEFAULT_ALPHAS
    alphas = [0.0, 0.5, 1.0] if args.quick else DEFAULT_ALPHAS
    table = {r[0]: r for r in args.row_table}
    selected = [r[0] for r in rows_of(args)]
    refs = [n for n in (args.reference, args.proposed) if n in selected]
    need = list(dict.fromkeys(refs + args.wise_ft_rows))
    jobs, owners = final_jobs(args, chosen, [table[n] for n in need])
    print(f'  final runs of {", ".join(need)}', flush=True)
    results = run_jobs(jobs, args.jobs)
    top1, rows, notes = {}, {}, {}
    for (name, _, fraction, seed), r in zip(owners, results):
        top1.setdefault((name, fraction), {})[seed] = r['top1']
    for name in refs:
        rows[name] = name
    root = osp.join(args.work_dir, 'ensemble')
    for name in args.wise_ft_rows:
        row = f'WiSE-FT of {name}'
        rows[row] = row
        for job, (owner, _, fraction, seed), r in zip(jobs, owners, results):
            if owner != name:
                continue
            rec = wise_ft_run(
                job, r, args, alphas,
                osp.join(root, 'wise-ft', slug(name),
                         f'{pct(fraction)}_seed{seed}'))
            top1.setdefault((row, fraction), {})[seed] = rec['top1']
            notes.setdefault((row, fraction), []).append(f'{rec["alpha"]:g}')
            print(
                f'  {row} {pct(fraction)} seed {seed}: alpha '
                f'{rec["alpha"]:g}, top-1 {rec["top1"]:.2f}',
                flush=True)
    ingredients = soup_jobs(args)
    print(f'  soup ingredients: {args.soup_row}\'s grid', flush=True)
    results = run_jobs([j for *_, j in ingredients], args.jobs)
    groups = {}
    for (key, point, job), r in zip(ingredients, results):
        groups.setdefault(key, []).append(((point, job), r))
    n_points = len(next(iter(groups.values())))
    soup_rows = {
        'best': f'{args.soup_row}, grid best on validation',
        'uniform': f'uniform soup of {args.soup_row}\'s grid',
        'greedy': f'greedy soup of {args.soup_row}\'s grid',
    }
    rows.update({v: v for v in soup_rows.values()})
    for (fraction, seed), members in groups.items():
        rec = soup_run([m for m, _ in members], [r for _, r in members], args,
                       osp.join(root, 'soup', slug(args.soup_row),
                                f'{pct(fraction)}_seed{seed}'))
        for part, row in soup_rows.items():
            top1.setdefault((row, fraction), {})[seed] = rec[part]['top1']
        notes.setdefault((soup_rows['best'], fraction),
                         []).append(rec['best']['point'])
        notes.setdefault((soup_rows['greedy'], fraction),
                         []).append(str(len(rec['greedy']['kept'])))
        print(
            f'  soups {pct(fraction)} seed {seed}: best single '
            f'{rec["best"]["top1"]:.2f}, uniform {rec["uniform"]["top1"]:.2f}'
            f', greedy {rec["greedy"]["top1"]:.2f} '
            f'({len(rec["greedy"]["kept"])} of {n_points})',
            flush=True)
    table = ensemble_table(args, rows, top1, notes, refs, n_points)
    return table, top1, notes


def ensemble_table(args, rows, top1, notes, refs, n_points):
    """Test top-1 of each row at each fraction, its gain over each of
    ``refs`` paired by seed, and what was chosen on the validation split
    for each seed."""
    head = ' | '.join(f'{pct(f)} labels' + ''.join(f' | vs {ref}'
                                                   for ref in refs)
                      for f in args.fractions)
    lines = [
        f'| row | {head} | chosen on validation (seeds in order) |',
        '|---|' + ('---|' * (1 + len(refs))) * len(args.fractions) + '---|'
    ]
    for row in rows:
        cells, chosen = [], []
        for f in args.fractions:
            runs = top1.get((row, f), {})
            cells.append(fmt(list(runs.values())) if runs else 'n/a')
            cells += [gain(runs, top1.get((ref, f))) for ref in refs]
            if (row, f) in notes:
                values = ' / '.join(notes[(row, f)])
                if row.startswith('WiSE-FT'):
                    values = f'alpha {values}'
                elif row.startswith('greedy'):
                    values = f'{values} of {n_points} runs kept'
                chosen.append(f'{pct(f)}: {values}')
        lines.append(f'| {row} | {" | ".join(cells)} | '
                     f'{"; ".join(chosen) or "-"} |')
    return '\n'.join(lines)


# ----------------------------------------------------------------------
# tsne stage: CE-tuning's and Core-tuning's features of the same test images
# ----------------------------------------------------------------------
TSNE_FILE = 'tsne.json'


def run_features(job, n_images):
    """Encoder features (the pooled backbone output,
    ``mmctune.evaluation.functional.extract_features``) of the first
    ``n_images`` images of a finished run's test split, by the run's
    checkpoint: (features (N, C) array, labels, the dataset's classes)."""
    from mmengine.runner import Runner

    from mmctune.apis import init_model
    from mmctune.evaluation.functional import extract_features
    cfg = job.config()
    loader_cfg = copy.deepcopy(cfg.test_dataloader)
    loader_cfg.dataset.indices = n_images
    model, _ = init_model(cfg, checkpoint_of(job))
    loader = Runner.build_dataloader(loader_cfg)
    feats, labels = extract_features(model, loader, n_images)
    classes = loader.dataset.metainfo.get('classes')
    return feats.numpy(), labels.tolist(), list(classes or [])


def tsne_stage(args, chosen):
    """The reference's and the proposed method's final runs (CE-tuning's
    and Core-tuning's) at ``--tsne-fraction`` and the first seed, reused or
    trained; each one's features of the same first ``--tsne-images`` test
    images embedded by t-SNE (seed 0) and stored in ``tsne.json``."""
    from mmengine.registry import DefaultScope

    from mmctune.utils import register_all_modules

    # the runs train in workers; the features are extracted here, in this
    # process's registries (and with the runtime fixes that load them)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmctune'):
        return _tsne_stage(args, chosen)


def _tsne_stage(args, chosen):
    from mmctune.utils.checkpoint import register_safe_loaders
    from mmctune.visualization import tsne_embedding
    register_safe_loaders()
    table = {r[0]: r for r in args.row_table}
    names = [args.reference, args.proposed]
    seed = args.seeds[0]
    jobs, owners = final_jobs(args, chosen, [table[n] for n in names])
    picked = [(job, owner) for job, owner in zip(jobs, owners)
              if owner[2] == args.tsne_fraction and owner[3] == seed]
    print(
        f'  final runs of {", ".join(names)}, '
        f'{pct(args.tsne_fraction)} labels, seed {seed}',
        flush=True)
    results = run_jobs([job for job, _ in picked], args.jobs)
    n_images = args.tsne_images if args.test_images is None else min(
        args.tsne_images, args.test_images)
    record = dict(
        setting=args.setting,
        fraction=args.tsne_fraction,
        seed=seed,
        tsne_seed=0,
        labels=None,
        classes=None,
        runs={},
        points={})
    for (job, (name, point, _, _)), result in zip(picked, results):
        feats, labels, classes = run_features(job, n_images)
        if record['labels'] is None:
            record.update(labels=labels, classes=classes)
        elif labels != record['labels']:
            raise RuntimeError(f'{name}\'s test images are not '
                               f'{names[0]}\'s: its labels differ')
        points = tsne_embedding(feats, seed=record['tsne_seed'])
        record['points'][name] = [[round(float(x), 3),
                                   round(float(y), 3)] for x, y in points]
        record['runs'][name] = dict(
            work_dir=job.work_dir,
            settings=describe(point),
            top1=result['top1'],
            feature_dim=int(feats.shape[1]))
        print(
            f'  {name}: {len(labels)} test images, features of '
            f'{feats.shape[1]} dimensions embedded',
            flush=True)
    path = osp.join(args.work_dir, TSNE_FILE)
    with open(path + '.tmp', 'w') as f:
        json.dump(record, f)
    os.replace(path + '.tmp', path)
    runs = ', '.join(f'{n} ({r["settings"]}, top-1 {r["top1"]:.2f})'
                     for n, r in record['runs'].items())
    text = (f'The encoder features of the first {len(record["labels"]):,} '
            f'test images by {runs} at {pct(args.tsne_fraction)} labels, '
            f'seed {seed}, each embedded by t-SNE: {path} '
            '(`.dev_scripts/benchmarks/plot_results.py` draws them).')
    return text, record


def check_stage(args):
    """CE-tuning against the linear probe at ``--tune-fraction``, every
    seed, on the validation split: is the setting a fine-tuning test?"""
    name, config, _ = args.row_table[0]
    assert name == args.reference, name
    n_labelled = sum(
        max(1, round(args.tune_fraction * n))
        for n in class_sizes(args.data_root))
    probe_args = copy.copy(args)
    probe_args.images = args.probe_epochs * n_labelled
    runs = {}
    jobs = []
    # (row, folder, config, args, --cfg-options)
    rows = (('linear probe', 'probe', args.probe_config, probe_args, None),
            (name, slug(name), config, args, args.cfg_options))
    for row, folder, cfg_path, job_args, options in rows:
        for seed in args.seeds:
            jobs.append(
                sweep_job(
                    f'{row} {pct(args.tune_fraction)} seed {seed} '
                    '(validation)',
                    osp.join(args.work_dir, 'check', folder,
                             f'{pct(args.tune_fraction)}_seed{seed}'),
                    config=cfg_path,
                    point=(),
                    fraction=args.tune_fraction,
                    seed=seed,
                    evaluate_on='val',
                    args=job_args,
                    options=options))
            runs.setdefault(row, []).append(seed)
    results = iter(run_jobs(jobs, args.jobs))
    top1 = {}
    for row, seeds in runs.items():
        top1[row] = {seed: next(results)['top1'] for seed in seeds}
    head = ' | '.join(f'seed {s}' for s in args.seeds)
    lines = [
        f'| run ({pct(args.tune_fraction)} labels, validation top-1 %) | '
        f'trains | {head} | mean ± std |',
        '|---|---|' + '---|' * len(args.seeds) + '---|'
    ]
    changes = ', '.join(f'{k}={v}'
                        for k, v in (args.cfg_options or {}).items())
    trains = {
        'linear probe': SETTINGS[args.setting]['probe_trains'],
        name: 'every layer' + (f' ({changes})' if changes else '')
    }
    for row, runs_of in top1.items():
        cells = ' | '.join(f'{runs_of[s]:.2f}' for s in args.seeds)
        lines.append(f'| {row} | {trains[row]} | {cells} | '
                     f'{fmt(list(runs_of.values()))} |')
    verdict_line = check_verdict(top1[name], top1['linear probe'])
    text = '\n'.join(lines) + '\n\n' + verdict_line
    return text, top1


def check_verdict(ce, probe, spread=CHECK_SPREAD):
    """Whether CE-tuning's runs (seed -> top-1) make a fine-tuning test
    against the probe's: its mean above the probe's and its std over seeds
    under ``spread`` points (one seed has no spread: it fails)."""
    cm, cs = mean_std(list(ce.values()))
    pm, ps = mean_std(list(probe.values()))
    above = cm > pm
    steady = len(ce) > 1 and cs < spread
    if len(ce) < 2:
        spread_word = 'one seed has no spread'
    else:
        spread_word = (f'its spread is {"" if steady else "not "}under '
                       f'{spread:g} point')
    return (f'The check {"passes" if above and steady else "fails"}: '
            f'CE-tuning {cm:.2f} ± {cs:.2f} against the linear probe\'s '
            f'{pm:.2f} ± {ps:.2f} ({cm - pm:+.2f}); CE-tuning is '
            f'{"" if above else "not "}above the probe and {spread_word}.')


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.pretrained):
        hint = (' (write it with python tools/model_converters/'
                'mobilenet_v2_imagenet.py)'
                if args.setting.startswith('imagenet-mbv2') else '')
        raise FileNotFoundError(
            f'--pretrained {args.pretrained} not found{hint}')
    os.makedirs(args.work_dir, exist_ok=True)
    start = time.time()
    sections, raw = [], dict(args=vars(args))
    if 'probe' in args.stages:
        print('linear probe', flush=True)
        table, raw['probe'] = probe_stage(args)
        sections.append(('Linear probe', table))
    chosen = chosen_from(args) if args.chosen_from else {}
    if 'tune' in args.stages:
        print('tuning on the validation split', flush=True)
        table, chosen, scores = tune_stage(args)
        tuned = {
            f: {
                n: [[dict(p), s] for p, s in v]
                for n, v in rows.items()
            }
            for f, rows in scores.items()
        }
        if args.tune_each_fraction:
            # {fraction as a string (JSON's keys): {row: [[point, top-1]]}}
            raw['tune_by_fraction'] = {str(f): v for f, v in tuned.items()}
        else:
            raw['tune'] = tuned[args.tune_fraction]
        sections.append(('Tuning (validation split)', table))
    if 'check' in args.stages:
        print(
            'CE-tuning against the linear probe on the validation split',
            flush=True)
        table, top1 = check_stage(args)
        raw['check'] = top1
        sections.append(('Check: CE-tuning against the linear probe '
                         '(validation split)', table))
    if 'final' in args.stages:
        print('final runs on the test split', flush=True)
        table, top1 = final_stage(args, chosen)
        raw['final'] = [[n, f, s, v] for (n, f), runs in top1.items()
                        for s, v in runs.items()]
        notes = [
            verdict(top1, f, args.proposed, args.reference)
            for f in args.fractions
        ]
        sections.append(('Test top-1 (%)',
                         table + '\n\n' + '\n'.join(n for n in notes if n)))
    if 'ensemble' in args.stages:
        print(
            'weight-space ensembles, chosen on the validation split',
            flush=True)
        table, top1, notes = ensemble_stage(args, chosen)
        raw['ensemble'] = dict(
            top1=[[n, f, s, v] for (n, f), runs in top1.items()
                  for s, v in runs.items()],
            chosen=[[n, f, v] for (n, f), v in notes.items()])
        sections.append(('Weight-space ensembles: test top-1 (%)', table))
    if 'tsne' in args.stages:
        print(
            f't-SNE of {args.reference}\'s and {args.proposed}\'s features',
            flush=True)
        table, _ = tsne_stage(args, chosen)
        raw['tsne'] = TSNE_FILE
        sections.append(
            ('t-SNE of the features of the same test images', table))
    minutes = (time.time() - start) / 60
    text = '\n\n'.join(f'### {title}\n\n{table}' for title, table in sections)
    text += f'\n\n({minutes:.1f} min, {args.jobs} runs at a time)\n'
    print('\n' + text)
    with open(osp.join(args.work_dir, 'tables.md'), 'w') as f:
        f.write(text)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(raw, f, indent=1)
    return raw


if __name__ == '__main__':
    main()
