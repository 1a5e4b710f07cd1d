"""Time one training step of two configs side by side and print the ratio.

By default CE-tuning vs Core-tuning of MoCo v2 ResNet-50 on CIFAR10 (the
same backbone, batch and optimizer; only the head differs): Core-tuning's
goal is at most 1.05x the CE step. A step is what the Runner does:
``model.train_step`` (data preprocessing, forward, loss, backward, optimizer
step), then the work of the hooks that act on the weights after every step
(TPGM's radii and projection: a hook's ``bench_step``). The two configs'
steps alternate on the same batch after a warm-up,
so drift of the machine's speed hits both; the medians of the step times
and the median of the per-round ratios are reported (on a busy shared
machine the paired ratio is the steadier of the two).

    python .dev_scripts/benchmarks/step_time.py [--batch-size 32] [--steps 10]
    python .dev_scripts/benchmarks/step_time.py --configs A.py B.py C.py
    # every fine-tuning method against CE-tuning on the Fashion-MNIST demo
    python .dev_scripts/benchmarks/step_time.py --methods fmnist \
        --img-size 28 --batch-size 128
    # ... with the peak memory of a step (MemTracker: parameters, gradients,
    # optimizer state, activations, temporaries) on real Fashion-MNIST images
    python .dev_scripts/benchmarks/step_time.py --methods fmnist \
        --img-size 28 --batch-size 128 --memory \
        --fmnist-root data/fashion_mnist
    # ... and what it prints stored as JSON (for plot_results.py's figure)
    python .dev_scripts/benchmarks/step_time.py --methods fmnist \
        --img-size 28 --batch-size 128 --memory \
        --fmnist-root data/fashion_mnist --out work_dirs/benchmarks/cost.json
    # the heads alone: loss + backward on random encoder features
    python .dev_scripts/benchmarks/step_time.py --head-only
    # segmentation: DeepLabV3 with and without the contrastive regulariser
    python .dev_scripts/benchmarks/step_time.py --methods seg --img-size 257 \
        --batch-size 4
    # the guard: Core-tuning / CE-tuning at the README's setting and at
    # 128 px batch 16 (benchmarks.yml), each beside its FLOP floor and the
    # accepted figures of step_time_accepted.yml; a ratio above its noise
    # band says REGRESSION and exits 1 (--accept stores the run's figures)
    python .dev_scripts/benchmarks/step_time.py --guard

``--flops`` adds each config's floating-point operations per step (torch's
``FlopCounterMode``: forward and backward) and their ratio: the floor of the
time ratio. Core-tuning's projector and classifier over the extra features
are a fraction of a percent of ResNet-50's operations at 224 px, so a time
ratio above the FLOP ratio (beyond the noise) is overhead to explain.

Segmentation configs (an mmseg ``EncoderDecoder``) train on masks of a
background and one square object of a random class per image; their data
preprocessor pads to ``--img-size`` instead of the config's crop.
"""
import argparse
import copy
import json
import os
import os.path as osp
import statistics
import time

import torch
from benchlib import fashion_mnist_batch, load_settings, setting_configs
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from mmctune.apis import list_settings
from mmctune.apis.model import FINE_TUNING_ROLES, model_of_config, role_of
from mmctune.engine.hooks import mark_prepared
from mmctune.models import build_model
from mmctune.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BENCHMARK = load_settings('step_time')


def default_configs() -> list:
    """Without --configs / --methods: the reference and the proposed method
    of a setting of the model index (CE-tuning and Core-tuning on CIFAR10),
    read from the index when the benchmark runs."""
    return [
        config for _, config in setting_configs(BENCHMARK['default_setting'],
                                                BENCHMARK['default_roles'])
    ]


def method_configs(setting: str) -> list:
    """Every fine-tuning method's config of a setting of the model index
    (``mmctune.apis.setting_models``: the reference, CE-tuning, first)."""
    return [
        config for _, config in setting_configs(setting, FINE_TUNING_ROLES)
    ]


def index_entry(config) -> dict:
    """The method and the role (reference, proposed, ...) of ``config``'s
    model in the model index; None for a config the index lacks."""
    path = config if osp.isabs(config) else osp.join(ROOT, config)
    model = model_of_config(path)
    if model is None:
        return dict(method=None, role=None)
    return dict(method=model.in_collection, role=role_of(model))


def is_segmentor(model) -> bool:
    return hasattr(model, 'decode_head')


def build(path, device, img_size=None):
    cfg = Config.fromfile(path if osp.isabs(path) else osp.join(ROOT, path))
    if 'data_preprocessor' not in cfg.model:
        cfg.model.data_preprocessor = cfg.data_preprocessor
    if 'decode_head' in cfg.model and img_size:
        # pad to the benchmark's images, not the config's crop
        cfg.model.data_preprocessor.size = (img_size, img_size)
    # no pre-trained weights, no init_weights(): the values do not change
    # the time
    model = build_model(cfg).to(device)
    model.train()
    # the preparations before training (DELTA's attention, Co-Tuning's
    # relationship, ...) are not steps: their state as if done
    mark_prepared(cfg, model)
    STEP_HOOKS[id(model)] = step_hooks(cfg)
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


#: the hooks with work after every training step (TPGM's projection), per
#: built model (``id``): part of what a step costs
STEP_HOOKS = {}


def step_hooks(cfg) -> list:
    """The config's custom hooks that work on the weights after every
    training step (a ``bench_step``: TPGMHook), built."""
    from mmengine.registry import DefaultScope

    from mmctune.registry import HOOKS
    out = []
    with DefaultScope.overwrite_default_scope('mmctune'):
        for entry in cfg.get('custom_hooks') or []:
            cls = HOOKS.get(entry['type']) if isinstance(
                entry.get('type'), str) else entry.get('type')
            if hasattr(cls, 'bench_step'):
                out.append(HOOKS.build(copy.deepcopy(dict(entry))))
    return out


def train_step(model, optim_wrapper, batch):
    """One iteration of the Runner: the model's ``train_step``, then the
    work of the hooks that act after every step (:data:`STEP_HOOKS`)."""
    model.train_step(batch, optim_wrapper)
    for hook in STEP_HOOKS.get(id(model), ()):
        hook.bench_step(model)


def make_batch(n, size, num_classes, channels=3, views=1, seed=0):
    """A collated batch; ``views`` > 1 gives a list of batches (mmpretrain's
    MultiView + default_collate), as Bi-tuning trains on."""
    g = torch.Generator().manual_seed(seed)
    imgs = [
        torch.randint(
            0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)
        for _ in range(views)
    ]
    labels = torch.randint(0, num_classes, (n, ), generator=g)
    return dict(
        inputs=imgs[0] if views == 1 else imgs,
        data_samples=[DataSample().set_gt_label(int(c)) for c in labels])


def step_peak_memory(model, optim_wrapper, batch):
    """Peak bytes during one training step: parameters, buffers, gradients,
    optimizer state and everything the step allocates (torch's
    ``MemTracker``; CPU or GPU). Call after a warm-up step, so the optimizer
    state exists. None for a model with frozen parameters: the tracker
    registers a gradient hook on every parameter, which torch refuses for
    one that does not require grad."""
    from torch.distributed._tools.mem_tracker import MemTracker
    if not all(p.requires_grad for p in model.parameters()):
        return None
    tracker = MemTracker()
    tracker.track_external(model, optim_wrapper.optimizer)
    with tracker:
        model.train_step(batch, optim_wrapper)
    # the hooks' work after the step (TPGM's pass on its projection batch)
    # runs once the step's memory is freed; torch's tracker follows one
    # forward per module, so it is not tracked
    for hook in STEP_HOOKS.get(id(model), ()):
        hook.bench_step(model)
    peak = tracker.get_tracker_snapshot('peak')
    return max(snap['Total'] for snap in peak.values())


def make_seg_batch(n, size, num_classes, channels=3, seed=0):
    """A collated segmentation batch: per image, background (0) and one
    centred square (40% of the pixels) of a random class."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    g = torch.Generator().manual_seed(seed)
    imgs = torch.randint(
        0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)
    side = int(size * 0.4**0.5)
    lo = (size - side) // 2
    samples = []
    for c in torch.randint(1, num_classes, (n, ), generator=g).tolist():
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, lo:lo + side, lo:lo + side] = c
        sample = SegDataSample(gt_sem_seg=PixelData(data=mask))
        sample.set_metainfo(
            dict(img_shape=(size, size), ori_shape=(size, size)))
        samples.append(sample)
    return dict(inputs=list(imgs), data_samples=samples)


def input_channels(model) -> int:
    """Channels of the first convolution (1 for the Fashion-MNIST demo)."""
    conv = next(m for m in model.backbone.modules()
                if isinstance(m, torch.nn.Conv2d))
    return conv.in_channels


def timed_step(model, optim_wrapper, batch, device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    train_step(model, optim_wrapper, batch)
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def step_flops(model, optim_wrapper, batch) -> int:
    """Floating-point operations of one training step (forward and
    backward; torch's ``FlopCounterMode`` counts matrix products and
    convolutions, the operations that dominate)."""
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter:
        train_step(model, optim_wrapper, batch)
    return counter.get_total_flops()


def head_step(model, batch):
    """The head's loss and backward on random encoder features."""
    feats = torch.randn(
        len(batch['data_samples']),
        model.head.in_channels,
        device=next(model.parameters()).device,
        requires_grad=True)
    start = time.perf_counter()
    losses = model.head.loss((feats, ), batch['data_samples'])
    sum(losses.values()).backward()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--configs',
        nargs='+',
        default=None,
        help='the first one is the reference of the ratios (default: '
        "the index's CE-tuning and Core-tuning of CIFAR10)")
    parser.add_argument(
        '--methods',
        choices=list_settings(),
        help='instead of --configs: every fine-tuning method\'s config in '
        'this setting of the model index, CE-tuning first')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--memory',
        action='store_true',
        help='also the peak memory of one step of each config (after the '
        'timing)')
    parser.add_argument(
        '--fmnist-root',
        help='real Fashion-MNIST training images from this folder instead '
        'of random pixels (1-channel 28x28 configs)')
    parser.add_argument(
        '--head-only',
        action='store_true',
        help='time only the heads (loss + backward on random features)')
    parser.add_argument(
        '--flops',
        action='store_true',
        help="also each config's FLOPs per step and their ratio (the "
        "floor of the time ratio)")
    parser.add_argument(
        '--out',
        metavar='FILE.json',
        help='also store what the tables print (unrounded) in this JSON '
        'file: each config\'s method and role in the model index, step '
        'times, ratios, peak memory and FLOPs')
    parser.add_argument(
        '--guard',
        action='store_true',
        help="Core-tuning / CE-tuning at benchmarks.yml's guard settings "
        'against step_time_accepted.yml (exit 1 above its noise band)')
    parser.add_argument(
        '--accept',
        action='store_true',
        help='with --guard: store this run\'s figures as the accepted ones')
    args = parser.parse_args(argv)
    if args.accept and not args.guard:
        parser.error('--accept needs --guard')
    if args.guard:
        # the guard's comparison is fixed (benchmarks.yml): options that
        # would change it are refused, not ignored
        changed = [
            f'--{name.replace("_", "-")}'
            for name in ('configs', 'methods', 'batch_size', 'img_size',
                         'steps', 'warmup', 'memory', 'fmnist_root',
                         'head_only', 'flops', 'out')
            if getattr(args, name) != parser.get_default(name)
        ]
        if changed:
            parser.error(f'--guard measures the settings of benchmarks.yml '
                         f'(guard) on CE-tuning and Core-tuning; it takes '
                         f'no {" ".join(changed)}')
        return guard(args)
    register_all_modules()
    torch.manual_seed(0)

    if args.methods:
        args.configs = method_configs(args.methods)
        if len(args.configs) < 2:
            parser.error(f'--methods {args.methods}: the setting has '
                         f'{len(args.configs)} fine-tuning method(s), not '
                         'two or more to compare')
    elif args.configs is None:
        args.configs = default_configs()
    runs = [build(c, args.device, args.img_size) for c in args.configs]
    seg = {is_segmentor(m) for m, _ in runs}
    if len(seg) > 1:
        parser.error('the configs mix classification and segmentation')
    seg = seg.pop()
    if seg and args.head_only:
        parser.error('--head-only times classification heads only')
    num_classes = min(
        (m.decode_head.num_classes if seg else m.head.num_classes)
        for m, _ in runs)
    channels = {input_channels(m) for m, _ in runs}
    if len(channels) > 1:
        parser.error(f'the configs take different input channels: '
                     f'{sorted(channels)}')
    # the same images and labels for every config (the same seed)
    if args.fmnist_root and (seg or channels != {1} or args.img_size != 28):
        parser.error('--fmnist-root needs 1-channel classification configs '
                     'and --img-size 28')
    batches = [
        make_seg_batch(args.batch_size, args.img_size, num_classes,
                       next(iter(channels))) if seg else
        fashion_mnist_batch(args.fmnist_root, args.batch_size,
                            getattr(m, 'num_views', 1)) if args.fmnist_root
        else make_batch(args.batch_size, args.img_size, num_classes,
                        next(iter(channels)), getattr(m, 'num_views', 1))
        for m, _ in runs
    ]
    for (model, _), batch in zip(runs, batches):
        for hook in STEP_HOOKS.get(id(model), ()):
            hook.bench_setup(model, batch)
    times = [[] for _ in runs]
    for step in range(args.warmup + args.steps):
        order = range(len(runs)) if step % 2 == 0 else reversed(
            range(len(runs)))
        for i in order:
            t = head_step(runs[i][0], batches[i]) if args.head_only else \
                timed_step(*runs[i], batches[i], args.device)
            if step >= args.warmup:
                times[i].append(t)

    flops = []
    if args.flops and not args.head_only:
        flops = [step_flops(*run, batch) for run, batch in zip(runs, batches)]

    memory = []
    if args.memory and not args.head_only:
        if args.warmup + args.steps == 0:
            timed_step(*runs[0], batches[0], args.device)
        memory = [
            step_peak_memory(*run, batch) for run, batch in zip(runs, batches)
        ]

    device = torch.cuda.get_device_name() if args.device.startswith(
        'cuda') else f'CPU, {torch.get_num_threads()} threads'
    what = 'the head alone' if args.head_only else 'one training step'
    images = 'Fashion-MNIST images' if args.fmnist_root else 'random pixels'
    print(f'{what}, batch {args.batch_size} x {args.img_size}px '
          f'({images}), {args.steps} steps each after {args.warmup} '
          f'warm-up, {device}')
    ref = statistics.median(times[0])
    record = dict(
        what=what,
        batch_size=args.batch_size,
        img_size=args.img_size,
        images=images,
        steps=args.steps,
        warmup=args.warmup,
        device=device,
        rows=[])
    mem_head = ' peak MB | memory ratio |' if memory else ''
    print('| config | median s/step | min | max | ratio of medians | '
          f'median of paired ratios |{mem_head}')
    print('|---|---|---|---|---|---|' + '---|---|' * bool(memory))
    ratios = []
    for i, (cfg, ts) in enumerate(zip(args.configs, times)):
        med = statistics.median(ts)
        # each step next to the first config's step of the same round:
        # slow drifts of the machine cancel in the pair
        paired = statistics.median(t / r for t, r in zip(ts, times[0]))
        ratios.append(paired)
        mem = (f' {memory[i] / 2**20:.1f} | {memory[i] / memory[0]:.3f} |'
               if memory and memory[i] is not None else
               ' n/a (frozen parameters) | - |' if memory else '')
        print(f'| {osp.relpath(cfg, ROOT) if osp.isabs(cfg) else cfg} | '
              f'{med:.3f} | {min(ts):.3f} | {max(ts):.3f} | {med / ref:.3f} '
              f'| {paired:.3f} |{mem}')
        record['rows'].append(
            dict(
                config=osp.relpath(cfg, ROOT) if osp.isabs(cfg) else cfg,
                **index_entry(cfg),
                median_s=med,
                min_s=min(ts),
                max_s=max(ts),
                ratio_of_medians=med / ref,
                paired_ratio=paired,
                peak_mb=memory[i] /
                2**20 if memory and memory[i] is not None else None,
                memory_ratio=memory[i] /
                memory[0] if memory and memory[i] is not None else None))
    if flops:
        print('\nfloating-point operations of one step (forward and backward,'
              " torch's FlopCounterMode): the floor of the time ratio")
        print('| config | GFLOP | FLOP ratio |')
        print('|---|---|---|')
        for cfg, f in zip(args.configs, flops):
            print(f'| {osp.relpath(cfg, ROOT) if osp.isabs(cfg) else cfg} | '
                  f'{f / 1e9:.2f} | {f / flops[0]:.4f} |')
        for row, f in zip(record['rows'], flops):
            row.update(gflop=f / 1e9, flop_ratio=f / flops[0])
    # what each config trains: its parameters that require a gradient (a
    # frozen backbone's, LoRA's and VPT's are a small share of the model's)
    print('\nparameters each step trains (requires_grad) and the model has')
    print('| config | trained | all | share |')
    print('|---|---|---|---|')
    for cfg, (model, _), row in zip(args.configs, runs, record['rows']):
        total = sum(p.numel() for p in model.parameters())
        trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
        row.update(trained_params=trained, params=total)
        print(f'| {osp.relpath(cfg, ROOT) if osp.isabs(cfg) else cfg} | '
              f'{trained:,} | {total:,} | {trained / total:.2%} |')
    if args.out:
        if osp.dirname(args.out):
            os.makedirs(osp.dirname(args.out), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(record, f, indent=1)
        print(f'stored: {args.out}')
    return dict(ratios=ratios, flop_ratios=[f / flops[0] for f in flops])


ACCEPTED_FILE = osp.join(
    osp.dirname(osp.abspath(__file__)), 'step_time_accepted.yml')


def guard_verdict(ratio: float, accepted: dict) -> str:
    """'ok', or 'REGRESSION' when ``ratio`` is above the accepted ratio by
    more than its noise band."""
    if ratio > accepted['ratio'] + accepted['band']:
        return 'REGRESSION'
    return 'ok'


def guard(args):
    """Core-tuning / CE-tuning (the default configs) at each of
    benchmarks.yml's guard settings, printed beside the FLOP floor and the
    accepted figures; exit status 1 when a ratio is above its band."""
    import datetime
    import platform
    import subprocess

    import yaml
    settings = BENCHMARK['guard']['settings']
    accepted, accepted_at = {}, None
    if osp.isfile(ACCEPTED_FILE):
        with open(ACCEPTED_FILE) as f:
            stored = yaml.safe_load(f) or {}
        accepted = stored.get('settings', {})
        # the commit whose figures these are; a file from before --accept
        # stored it: the last commit that changed the file
        accepted_at = stored.get('commit') or subprocess.run(
            ['git', 'log', '-1', '--format=%H', '--', ACCEPTED_FILE],
            cwd=ROOT,
            capture_output=True,
            text=True).stdout.strip() or None
    rows, measured = [], {}
    for name, setting in settings.items():
        print(f'\n## {name}')
        out = main([
            '--batch-size',
            str(setting['batch_size']), '--img-size',
            str(setting['img_size']), '--steps',
            str(setting['steps']), '--warmup',
            str(setting['warmup']), '--flops', '--device', args.device
        ])
        ratio, floor = out['ratios'][-1], out['flop_ratios'][-1]
        measured[name] = dict(
            ratio=round(ratio, 3),
            flop_ratio=round(floor, 4),
            band=accepted.get(name, {}).get('band', setting['band']))
        if name in accepted:
            verdict = guard_verdict(ratio, accepted[name])
            was = (f"{accepted[name]['ratio']:.3f} ± "
                   f"{accepted[name]['band']:.3f}")
        else:
            verdict, was = 'no accepted figure', '-'
        rows.append((name, ratio, floor, was, verdict))
    print('\n| setting | paired ratio | FLOP floor | accepted | verdict |')
    print('|---|---|---|---|---|')
    for name, ratio, floor, was, verdict in rows:
        print(f'| {name} | {ratio:.3f} | {floor:.4f} | {was} | {verdict} |')
    bad = [r for r in rows if r[4] == 'REGRESSION']
    for name, ratio, _, was, _ in bad:
        print(f'\n!!! REGRESSION: {name}: Core-tuning costs {ratio:.3f}x '
              f'CE-tuning, above the accepted {was}. Rerun on a quiet '
              'machine before believing it; then compare what a step does '
              'at the accepted commit and now: python '
              '.dev_scripts/benchmarks/step_time_commits.py '
              f'{accepted_at or "<the accepted commit>"} HEAD --ops '
              '(--accept once explained)')
    if args.accept:
        device = torch.cuda.get_device_name() if args.device.startswith(
            'cuda') else f'CPU ({platform.processor() or platform.machine()}'
        device += '' if args.device.startswith('cuda') else \
            f', {torch.get_num_threads()} threads)'
        with open(ACCEPTED_FILE, 'w') as f:
            f.write('# step_time.py --guard: the accepted Core-tuning / '
                    'CE-tuning step ratios\n# (paired medians), written by '
                    '--accept; band: the noise band a run may\n# exceed '
                    'the ratio by before it is a regression\n')
            commit = subprocess.run(['git', 'rev-parse', 'HEAD'],
                                    cwd=ROOT,
                                    capture_output=True,
                                    text=True).stdout.strip()
            yaml.safe_dump(
                dict(
                    measured=str(datetime.date.today()),
                    device=device,
                    commit=commit or None,
                    settings=measured),
                f,
                sort_keys=False)
        print(f'accepted: {ACCEPTED_FILE}')
    if bad:
        raise SystemExit(1)
    return rows


if __name__ == '__main__':
    main()
