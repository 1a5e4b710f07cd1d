"""Check an install on a CUDA machine, and measure what the CPU benchmarks
cannot (docs/benchmarks.md, "GPU check"). Sized for under 10 minutes on one
GPU; it has not run on one yet.

Three parts (``--parts``), then a verdict:

``step``
    One training step (``model.train_step``: pre-processing, forward,
    losses, backward, optimizer step) of CE-tuning and Core-tuning of the
    MoCo v2 ResNet-50, the CIFAR-10 recipes of the paper's Table 1
    (the model index's, as ``step_time.py``), on 224 px images at the
    configs' batch (256 on one GPU: the paper's batch, its appendix C.2),
    in fp32, bf16 and fp16 (mmengine's ``AmpOptimWrapper``, what
    ``tools/train.py --amp`` uses) and bf16 with channels-last weights. All
    the rows' steps alternate round by round on the same images, so a drift
    of the machine hits them all: median seconds per step, images per
    second, the median of Core / CE paired by round, and the peak memory of
    the last step.
``miner``
    Core-tuning's hardness-directed mixup alone, and its head's whole loss
    and backward, on random 2048-d features, batch 256 to 16,384
    (``miner_scaling.py`` on the GPU): time and peak memory.
``dist``
    Core-tuning with ``gather_distributed=True`` in mmengine's
    ``MMDistributedDataParallel``, started by ``torchrun`` (``python -m
    torch.distributed.run --standalone``) with NCCL: one GPU, then every
    visible GPU when there are several (``dist_throughput.py``'s
    measurement). It checks that the miner sees the global batch and that
    the ranks' weights stay equal.

Peak memory: on a GPU, the most the CUDA allocator held during the call
above what it held before (activations, gradients, temporaries; not the
resident weights); on the CPU (``--dry-run``) torch's ``MemTracker`` of the
tensors the call allocates.

``--strong-weights`` also fine-tunes from strong pre-trained weights: the
setting of ``finetune_table.py --setting imagenet-mbv2-12k`` (torchvision's
ImageNet MobileNetV2 on Fashion-MNIST at 10% labels, where CE-tuning beats
its linear probe on the CPU; docs/benchmarks.md section 2c) with the images
resized to 224 px instead of 32, CE-tuning vs Core-tuning, 3 seeds, test
top-1. ``--strong-images`` sets the draws per run (default 12,000, the CPU
setting's; the paper's 100 epochs at 10% would be 600,000). It needs
Fashion-MNIST (``--fmnist-root``) and the converted weights
(``--mbv2-checkpoint``, written by
``tools/model_converters/mobilenet_v2_imagenet.py`` when missing).

``--dry-run`` runs the same code on the CPU at tiny sizes (the demo's small
ResNet at 16 px, batch 8, 2 steps, miner batches 16 to 64, gloo with 1 and 2
processes; fp16/bf16 through ``torch.autocast('cpu')``, since mmengine's
``AmpOptimWrapper`` refuses a machine without CUDA): how
``tests/test_benchmarks/test_gpu_check.py`` tests its logic. Its figures mean
nothing.

    python .dev_scripts/benchmarks/gpu_check.py [--out FILE] \
        [--parts step miner]
    # a smaller GPU
    python .dev_scripts/benchmarks/gpu_check.py --batch-size 128
    # + section 2c
    python .dev_scripts/benchmarks/gpu_check.py --strong-weights
    python .dev_scripts/benchmarks/gpu_check.py --dry-run

Prints the report (markdown) and writes it to ``--out`` (default
``work_dirs/gpu_check/gpu_check.md``; ``dry_run.md`` with ``--dry-run``).
Exit status: 0 when every part ran and passed its checks; 1 when one did
not (the report says which and why); 2 when the command is refused before
anything runs (no CUDA without ``--dry-run``).
"""
import argparse
import contextlib
import copy
import datetime
import faulthandler
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import torch
from benchlib import load_settings, setting_configs

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))

# (name, autocast dtype or None, channels-last)
PRECISIONS = (
    ('fp32', None, False),
    ('bf16', torch.bfloat16, False),
    ('fp16', torch.float16, False),
    ('bf16, channels-last', torch.bfloat16, True),
)
# benchmarks.yml: the step table's roles (CE-tuning's and Core-tuning's), the
# sizes (per size, the model index's setting; batch None: the configs' own),
# --strong-weights' setting of finetune_table.py
BENCHMARK = load_settings('gpu_check')
ROLES = tuple(BENCHMARK['roles'])
SIZES = BENCHMARK['sizes']
PARTS = ('step', 'miner', 'dist')

NO_CUDA = ('gpu_check.py: no CUDA device (torch {} has '
           'torch.cuda.is_available() False); run it on a CUDA machine, or '
           'add --dry-run to test its logic on the CPU')
STRONG_SETTING = BENCHMARK['strong_setting']


def sizes_of(args) -> dict:
    sizes = dict(SIZES['dry' if args.dry_run else 'gpu'])
    if args.batch_size:
        sizes['batch_size'] = args.batch_size
    return sizes


def method_configs(setting: str) -> list:
    """(method, config) of the step table's methods (``ROLES``) of a setting
    of the model index: CE-tuning's and Core-tuning's."""
    return setting_configs(setting, ROLES)


def proposed_config(setting: str) -> str:
    """The config of the setting's proposed method (Core-tuning)."""
    (_, config), = setting_configs(setting, ('proposed', ))
    return config


def strong_methods() -> list:
    """The rows of ``--strong-weights``: the step table's methods of
    finetune_table.py's ``STRONG_SETTING``."""
    setting = load_settings('finetune_table')['settings'][STRONG_SETTING]
    return [
        name for name, _ in setting_configs(setting['index_setting'], ROLES)
    ]


# --- building and timing (step_time.py's way)


@contextlib.contextmanager
def _cpu_autocast(dtype):
    with torch.autocast('cpu', dtype=dtype):
        yield


def _cpu_amp_wrapper_type():
    """The dry run's stand-in for ``AmpOptimWrapper``: its autocast around
    the forward, on the CPU, without the CUDA-only loss scaler."""
    from mmengine.optim import OptimWrapper

    class CPUAutocastOptimWrapper(OptimWrapper):

        def __init__(self, *args, dtype=None, **kwargs):
            super().__init__(*args, **kwargs)
            self.cast_dtype = getattr(torch, dtype)

        @contextlib.contextmanager
        def optim_context(self, model):
            with super().optim_context(model), _cpu_autocast(self.cast_dtype):
                yield

    return CPUAutocastOptimWrapper


def load_config(path):
    from mmengine.config import Config
    return Config.fromfile(osp.join(ROOT, path))


def build(path, device, precision=PRECISIONS[0], gather=None, ddp=False):
    """``(model, optim_wrapper, cfg)`` of a config on ``device``, in one of
    ``PRECISIONS``: its optimizer in mmengine's ``AmpOptimWrapper`` (CUDA)
    or the CPU stand-in for an autocast dtype, its weights channels-last if
    asked, wrapped in ``MMDistributedDataParallel`` with ``ddp``."""
    from mmengine.optim import build_optim_wrapper

    from mmctune.models import build_model
    cfg = load_config(path)
    if gather is not None:
        cfg.model.head.gather_distributed = gather
    _, dtype, channels_last = precision
    # no pre-trained weights: they do not change the time
    model = build_model(cfg).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    if ddp:
        from mmengine.model import MMDistributedDataParallel
        model = MMDistributedDataParallel(
            module=model,
            device_ids=[torch.cuda.current_device()]
            if device.startswith('cuda') else None)
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    if dtype is not None:
        wrapper_cfg['type'] = ('AmpOptimWrapper' if device.startswith('cuda')
                               else _cpu_amp_wrapper_type())
        wrapper_cfg['dtype'] = str(dtype).split('.')[-1]
    return model, build_optim_wrapper(model, wrapper_cfg), cfg


def make_batch(n, size, num_classes, channels, seed=0):
    """A collated batch of random pixels and labels."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    imgs = torch.randint(
        0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, num_classes, (n, ), generator=g)
    return dict(
        inputs=imgs,
        data_samples=[DataSample().set_gt_label(int(c)) for c in labels])


def input_channels(model) -> int:
    return next(m for m in model.modules()
                if isinstance(m, torch.nn.Conv2d)).in_channels


def sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def timed(fn, device):
    sync(device)
    start = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - start, out


def peak_mb(fn, device):
    """The most memory ``fn`` holds at once above what was held before it,
    in MiB (see the module's docstring)."""
    if device.startswith('cuda'):
        sync(device)
        torch.cuda.reset_peak_memory_stats()
        start = torch.cuda.memory_allocated()
        fn()
        sync(device)
        return (torch.cuda.max_memory_allocated() - start) / 2**20
    from torch.distributed._tools.mem_tracker import MemTracker
    tracker = MemTracker()
    with tracker:
        fn()
    return max(s['Total']
               for s in tracker.get_tracker_snapshot('peak').values()) / 2**20


def is_oom(error) -> bool:
    return isinstance(error, torch.cuda.OutOfMemoryError) or ('out of memory'
                                                              in str(error))


def free(device):
    import gc
    gc.collect()
    if device.startswith('cuda'):
        torch.cuda.empty_cache()


# --- the parts


def precisions_on(device):
    """PRECISIONS that ``device`` runs, and a note for those it cannot."""
    if device.startswith('cuda') and not torch.cuda.is_bf16_supported():
        return ([p for p in PRECISIONS if p[1] is not torch.bfloat16],
                'bf16 rows left out: this GPU does not support bfloat16')
    return list(PRECISIONS), None


def step_part(device, sizes):
    """The step table: rows of PRECISIONS, CE-tuning and Core-tuning
    alternating with every other row's runs, round by round."""
    methods, configs = zip(*method_configs(sizes['setting']))
    precisions, note = precisions_on(device)
    runs = {}  # (precision name, method) -> (model, wrapper)
    batch_size = sizes['batch_size']
    for p in precisions:
        for method, path in zip(methods, configs):
            model, wrapper, cfg = build(path, device, p)
            runs[p[0], method] = (model, wrapper)
            batch_size = batch_size or cfg.train_dataloader.batch_size
            torch.backends.cudnn.benchmark = bool(
                cfg.get('env_cfg', {}).get('cudnn_benchmark', False))
    first = next(iter(runs.values()))[0]
    batch = make_batch(batch_size, sizes['img_size'], first.head.num_classes,
                       input_channels(first))
    keys = list(runs)
    times = {k: [] for k in keys}
    finite = {k: True for k in keys}
    failed, memory = {}, {}
    rounds = sizes['warmup'] + sizes['steps']
    for step in range(rounds):
        for k in (keys if step % 2 == 0 else keys[::-1]):
            if k in failed:
                continue
            model, wrapper = runs[k]
            out = {}

            def train_step():
                out['time'], out['log_vars'] = timed(
                    lambda: model.train_step(batch, wrapper), device)

            try:
                if step == rounds - 1:  # the peak memory of the last step
                    memory[k] = peak_mb(train_step, device)
                else:
                    train_step()
            except Exception as e:  # noqa: BLE001 (a row, not the run)
                if not is_oom(e):
                    raise
                failed[k] = 'out of memory (try --batch-size)'
                free(device)
                continue
            finite[k] &= bool(torch.isfinite(out['log_vars']['loss']))
            if step >= sizes['warmup']:
                times[k].append(out['time'])
    runs.clear()
    free(device)

    rows, problems, notes = [], [], []
    for p in precisions:
        ce, core = ((p[0], m) for m in methods)
        if ce in failed or core in failed:
            why = failed.get(ce) or failed.get(core)
            rows.append([p[0], why] + [''] * 6)
            notes.append(f'step: {p[0]} at batch {batch_size}: {why}')
            continue
        med = {k: statistics.median(times[k]) for k in (ce, core)}
        paired = statistics.median(c / r
                                   for c, r in zip(times[core], times[ce]))
        rows.append([
            p[0], f'{med[ce]:.4f}', f'{batch_size / med[ce]:.1f}',
            f'{med[core]:.4f}', f'{batch_size / med[core]:.1f}',
            f'{paired:.3f}', f'{memory[ce]:.1f}', f'{memory[core]:.1f}'
        ])
        for k in (ce, core):
            if not finite[k]:
                problems.append(f'step: {k[1]} in {k[0]} gave a non-finite '
                                'loss')
    header = [
        'precision', 'CE-tuning s/step', 'CE-tuning images/s',
        'Core-tuning s/step', 'Core-tuning images/s',
        'Core / CE (median of paired ratios)', 'CE-tuning step peak MB',
        'Core-tuning step peak MB'
    ]
    intro = (f'{configs[0]} and {configs[1]}, {sizes["img_size"]} px random '
             f'pixels, batch {batch_size}, {sizes["steps"]} steps of each '
             f'row after {sizes["warmup"]} warm-up, all rows alternating '
             'round by round; fp32 convolutions may use TF32: '
             f'{torch.backends.cudnn.allow_tf32}, fp32 matmuls: '
             f'{torch.backends.cuda.matmul.allow_tf32}')
    if note:
        intro += f'; {note}'
        notes.append(f'step: {note}')
    return dict(
        title='One training step: CE-tuning and Core-tuning',
        intro=intro,
        header=header,
        rows=rows,
        problems=problems,
        notes=notes)


class _HeadLoss(torch.nn.Module):
    """The head's loss as one module call (miner_scaling.py's), so that
    ``MemTracker`` sees the classifier's two calls (originals, generated
    pairs) inside one."""

    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, z, samples):
        return sum(self.head.loss((z, ), samples).values())


def miner_part(device, sizes):
    """The miner table: the miner alone and the head's loss + backward, on
    random features, at each of the sizes' batches."""
    from mmpretrain.structures import DataSample

    from mmctune.models.utils.labels import labels_of, soft_labels
    from mmctune.registry import MODELS
    path = proposed_config(sizes['setting'])
    cfg = load_config(path)
    head = MODELS.build(cfg.model.head).to(device).train()
    n_max = max(sizes['miner_batches'])
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, head.num_classes, (n_max, ), generator=g)
    samples = [DataSample().set_gt_label(int(c)) for c in labels]
    rows, problems, notes, first = [], [], [], None

    def median_time(fn):
        fn()  # warm-up
        return statistics.median(
            timed(fn, device)[0] for _ in range(sizes['repeats']))

    head_loss = _HeadLoss(head)
    for b in sizes['miner_batches']:
        z = torch.randn(b, head.in_channels, device=device, requires_grad=True)
        y = soft_labels(labels_of(samples[:b], device), head.num_classes)
        losses = []

        def mine():
            with torch.no_grad():
                head.miner(z, y)

        def head_step():
            z.grad = None
            loss = head_loss(z, samples[:b])
            loss.backward()
            losses.append(loss.detach())

        try:
            result = (b, median_time(mine), peak_mb(mine, device),
                      median_time(head_step), peak_mb(head_step, device))
        except Exception as e:  # noqa: BLE001 (a row, not the run)
            if not is_oom(e):
                raise
            rows.append([str(b), 'out of memory'] + [''] * 6)
            notes.append(f'miner: out of memory at batch {b}')
            break
        finally:
            z = None  # frees the batch before the next one
            free(device)
        if not all(torch.isfinite(x) for x in losses):
            problems.append(f'miner: the head\'s loss at batch {b} is not '
                            'finite')
        first = first or result
        _, mt, mm, ht, hm = result
        rows.append([
            str(b), f'{mt * 1e3:.2f}', f'{mm:.1f}', f'{ht * 1e3:.2f}',
            f'{hm:.1f}', f'{ht / first[3]:.1f}', f'{hm / first[4]:.1f}',
            f'{(b / first[0])**2:.0f}'
        ])
    header = [
        'batch', 'miner ms', 'miner peak MB', 'head loss + backward ms',
        'head peak MB', 'time x (vs first)', 'memory x (vs first)',
        'batch² x (vs first)'
    ]
    intro = (f'the head of {path}: {type(head.miner).__name__} and '
             f'{type(head.con_loss).__name__}, {head.in_channels}-d random '
             f'features, {head.num_classes} classes, median of '
             f'{sizes["repeats"]} calls after one')
    return dict(
        title="Core-tuning's miner and loss alone",
        intro=intro,
        header=header,
        rows=rows,
        problems=problems,
        notes=notes)


def world_sizes(dry_run):
    """1, then every visible GPU when there are several (the dry run: 1
    and 2 CPU processes)."""
    if dry_run:
        return [1, 2]
    n = torch.cuda.device_count()
    return [1] + ([n] if n > 1 else [])


def launch(world, args, sizes):
    """Run the dist worker under torchrun with ``world`` processes; its
    result (rank 0's JSON), or ``dict(error=...)``."""
    with tempfile.TemporaryDirectory() as tmp:
        result = osp.join(tmp, 'result.json')
        cmd = [
            sys.executable, '-m', 'torch.distributed.run', '--standalone',
            f'--nproc_per_node={world}',
            osp.abspath(__file__), '--dist-worker', result
        ] + (['--dry-run'] if args.dry_run else []) + (
            ['--batch-size', str(args.batch_size)] if args.batch_size else [])
        env = dict(os.environ)
        env['OMP_NUM_THREADS'] = str(max(1, (os.cpu_count() or 1) // world))
        try:
            r = subprocess.run(
                cmd,
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=sizes['dist_timeout'])
        except subprocess.TimeoutExpired:
            return dict(error=f'torchrun timed out after '
                        f'{sizes["dist_timeout"]} s')
        if r.returncode != 0 or not osp.isfile(result):
            done = (' (rank 0 had written its result: the hang was at '
                    'exit)' if osp.isfile(result) else '')
            return dict(error=f'torchrun exit code {r.returncode}: '
                        f'{worker_error(r.stderr + r.stdout)}{done}')
        with open(result) as f:
            return json.load(f)


def worker_error(output: str) -> str:
    """The line of a failed worker's output that says what went wrong: the
    last exception, or where a hung worker was (faulthandler's dump)."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    if any(ln.startswith('Timeout (') for ln in lines):
        # most recent call first
        frames = [ln for ln in lines if ln.startswith('File ')] or ['?']
        ours = [ln for ln in frames if 'gpu_check.py' in ln] or ['?']
        return f'a worker hung in {frames[0]}, from {ours[0]}'[:300]
    errors = [ln for ln in lines if 'Error' in ln] or lines
    return errors[-1][:300] if errors else 'no output'


def dist_part(args, sizes):
    backend = 'gloo' if args.dry_run else 'nccl'
    rows, problems = [], []
    header = [
        'processes', 'backend', 'device', 'batch per process', 'global batch',
        'miner saw', 's/step', 'images/s', 'scaling efficiency',
        'weights equal on all ranks'
    ]
    import torch.distributed as dist
    if backend == 'nccl' and not dist.is_nccl_available():
        problems.append('dist: this torch has no NCCL')
        worlds = []
    else:
        worlds = world_sizes(args.dry_run)
    base = None
    for world in worlds:
        r = launch(world, args, sizes)
        if 'error' in r:
            rows.append([str(world), backend, f'FAILED: {r["error"]}'] +
                        [''] * 7)
            problems.append(f'dist: {world} process(es): {r["error"]}')
            continue
        ips = r['global_batch'] / r['s_per_step']
        base = base or ips / world  # one process's images/s
        rows.append([
            str(world), r['backend'], r['device'],
            str(r['batch']),
            str(r['global_batch']),
            str(r['miner_saw']), f'{r["s_per_step"]:.4f}', f'{ips:.1f}',
            f'{ips / (world * base):.2f}',
            'yes' if r['weights_equal'] else 'NO'
        ])
        if r['miner_saw'] != r['global_batch']:
            problems.append(f'dist: {world} process(es): the miner saw '
                            f'{r["miner_saw"]} features, not the global '
                            f'batch {r["global_batch"]}')
        if not r['weights_equal']:
            problems.append(f'dist: {world} process(es): the ranks\' '
                            'weights differ after the steps')
        if not r['loss_finite']:
            problems.append(f'dist: {world} process(es): a non-finite loss')
    path = proposed_config(sizes['setting'])
    intro = (f'{path} with gather_distributed=True in '
             f'MMDistributedDataParallel, python -m torch.distributed.run '
             f'--standalone, {backend}, fp32; median of '
             f'{sizes["dist_steps"]} steps after {sizes["dist_warmup"]}; '
             'scaling efficiency: images/s over N times the first row\'s '
             '(1.00: N processes do N times the work of one)')
    return dict(
        title='Distributed: torchrun, gather_distributed=True',
        intro=intro,
        header=header,
        rows=rows,
        problems=problems,
        notes=[])


def dist_worker(args):
    """One process of :func:`launch` (started by torchrun)."""
    import gc

    import torch.distributed as dist
    sizes = sizes_of(args)
    rank = int(os.environ['RANK'])
    world = int(os.environ['WORLD_SIZE'])
    local = int(os.environ['LOCAL_RANK'])
    if args.dry_run:
        device, backend = 'cpu', 'gloo'
    else:
        torch.cuda.set_device(local)
        device, backend = f'cuda:{local}', 'nccl'
    # a process that waits for another longer than this raises, and one
    # that hangs elsewhere prints where before torchrun is timed out
    wait = max(30, sizes['dist_timeout'] - 60)
    faulthandler.dump_traceback_later(wait + 30, exit=True)
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=wait))
    try:
        result = dist_measure(args, sizes, rank, world, local, device, backend)
        gc.collect()
        if rank == 0:
            with open(args.dist_worker, 'w') as f:
                json.dump(result, f)
        # every rank is done with the model (freed when dist_measure
        # returned); a DDP reducer that outlives its process group can
        # hang the process at exit under gloo
        dist.barrier()
    finally:
        dist.destroy_process_group()


def dist_measure(args, sizes, rank, world, local, device, backend):
    """The measurement of :func:`dist_worker`: its result dict (the same on
    every rank). The model and its DDP wrapper live only in this frame."""
    import torch.distributed as dist

    from mmctune.utils import register_all_modules
    register_all_modules()
    path = proposed_config(sizes['setting'])
    model, wrapper, cfg = build(path, device, gather=True, ddp=True)
    module = model.module
    batch_size = sizes['batch_size'] or cfg.train_dataloader.batch_size
    seen = []
    module.head.miner.register_forward_hook(
        lambda m, a, out: seen.append(a[0].size(0)))
    batch = make_batch(
        batch_size,
        sizes['img_size'],
        module.head.num_classes,
        input_channels(module),
        seed=rank)
    times, finite = [], True
    for i in range(sizes['dist_warmup'] + sizes['dist_steps']):
        dist.barrier()
        t, log_vars = timed(lambda: model.train_step(batch, wrapper), device)
        finite &= bool(torch.isfinite(log_vars['loss']))
        dist.barrier()
        if i >= sizes['dist_warmup']:
            times.append(t)
    vec = torch.nn.utils.parameters_to_vector(module.parameters()).double()
    stats = torch.stack([vec.sum(), vec.abs().sum(), vec.pow(2).sum()])
    gathered = [torch.zeros_like(stats) for _ in range(world)]
    dist.all_gather(gathered, stats)
    flags = torch.tensor([float(finite)], device=device)
    dist.all_reduce(flags, op=dist.ReduceOp.MIN)
    equal = all(
        torch.allclose(g, gathered[0], rtol=1e-9, atol=0) for g in gathered)
    name = (
        torch.cuda.get_device_name(local)
        if device.startswith('cuda') else 'CPU')
    return dict(
        world=world,
        backend=backend,
        device=name,
        batch=batch_size,
        global_batch=batch_size * world,
        miner_saw=seen[-1],
        s_per_step=statistics.median(times),
        weights_equal=equal,
        loss_finite=bool(flags.item()))


# --- the report


def markdown_table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return '\n'.join(lines)


def environment(args) -> str:
    import mmengine
    import mmpretrain

    import mmctune
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                                cwd=ROOT,
                                capture_output=True,
                                text=True).stdout.strip() or 'unknown'
    except OSError:
        commit = 'unknown'
    if args.dry_run:
        device = (f'CPU, {torch.get_num_threads()} threads (DRY RUN: tiny '
                  'sizes, the figures mean nothing)')
    else:
        n = torch.cuda.device_count()
        props = torch.cuda.get_device_properties(0)
        device = (f'{n} x {props.name} ({props.total_memory / 2**30:.0f} '
                  f'GiB), CUDA {torch.version.cuda}, cuDNN '
                  f'{torch.backends.cudnn.version()}')
    date = datetime.datetime.now(datetime.timezone.utc)
    return (f'- date: {date:%Y-%m-%d %H:%M} UTC, host {platform.node()}\n'
            f'- device: {device}\n'
            f'- stack: torch {torch.__version__}, mmengine '
            f'{mmengine.__version__}, mmpretrain {mmpretrain.__version__}, '
            f'mmctune {mmctune.__version__} (commit {commit})')


def strong_command(args, work_dir, img_size):
    """The ``finetune_table.py`` command of ``--strong-weights``: the final
    stage of its setting at 10% labels, CE-tuning and Core-tuning, the
    images resized to ``img_size`` (train pipeline item 2, test item 0 of
    the MobileNetV2 configs)."""
    seeds = ['0'] if args.dry_run else ['0', '1', '2']
    size = f'({img_size},{img_size})'
    cmd = [
        sys.executable,
        osp.join(HERE, 'finetune_table.py'), '--setting', STRONG_SETTING,
        '--pretrained', args.mbv2_checkpoint, '--data-root', args.fmnist_root,
        '--work-dir', work_dir, '--stages', 'final', '--fractions', '0.1',
        '--rows', *strong_methods(), '--seeds', *seeds, '--images',
        str(args.strong_images), '--jobs', '1', '--cfg-options',
        f'train_dataloader.dataset.dataset.pipeline.2.scale={size}',
        f'test_dataloader.dataset.pipeline.0.scale={size}'
    ]
    if args.dry_run:
        cmd += ['--test-images', '64']
    return cmd


def strong_rows(results):
    """(method, mean, std, per-seed) of finetune_table's ``final`` runs."""
    by_method = {}
    for method, _, seed, top1 in results['final']:
        by_method.setdefault(method, []).append(top1)
    rows = []
    for method, values in by_method.items():
        mean = sum(values) / len(values)
        std = (sum((v - mean)**2 for v in values) / max(1,
                                                        len(values) - 1))**0.5
        rows.append([
            method, f'{mean:.2f}', f'{std:.2f}',
            ' / '.join(f'{v:.2f}' for v in values)
        ])
    return rows


def strong_part(args, out):
    """``--strong-weights``: ``strong_command`` run (224 px; 16 px on
    ``--dry-run``), its test top-1 per method as a table."""
    img_size = 16 if args.dry_run else 224
    work_dir = osp.join(osp.dirname(osp.abspath(out)), 'strong_weights')
    section = dict(
        title=f'Fine-tuning from strong weights ({img_size} px)',
        intro=(f'`finetune_table.py --setting {STRONG_SETTING}` (ImageNet '
               'MobileNetV2 on Fashion-MNIST, 10% labels, '
               f'{args.strong_images:,} draws per run) with the images at '
               f'{img_size} px; test top-1 (%). Work dir: `{work_dir}`.'),
        header=['method', 'mean', 'std', 'seeds'],
        rows=[],
        problems=[])
    if not osp.isfile(args.mbv2_checkpoint):
        convert = subprocess.run([
            sys.executable,
            osp.join(ROOT, 'tools', 'model_converters',
                     'mobilenet_v2_imagenet.py'), args.mbv2_checkpoint
        ],
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT,
                                 text=True)
        if convert.returncode != 0:
            tail = ' '.join(convert.stdout.split()[-40:])
            section['rows'] = [['-', '-', '-', 'no checkpoint']]
            section['problems'] = [
                f'strong weights: converting the MobileNetV2 weights to '
                f'{args.mbv2_checkpoint} failed: {tail}'
            ]
            return section
    run = subprocess.run(
        strong_command(args, work_dir, img_size),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    results = osp.join(work_dir, 'results.json')
    if run.returncode != 0 or not osp.isfile(results):
        tail = ' '.join(run.stdout.split()[-60:])
        section['rows'] = [['-', '-', '-', 'failed']]
        section['problems'] = [
            f'strong weights: finetune_table.py failed: '
            f'{tail}'
        ]
        return section
    with open(results) as f:
        section['rows'] = strong_rows(json.load(f))
    return section


def report(args, sections, elapsed):
    """The markdown report and the list of problems."""
    parts = ['# mmctune GPU check', '', environment(args), '']
    problems, notes = [], []
    for i, s in enumerate(sections, 1):
        parts += [
            f'## {i}. {s["title"]}', '', s['intro'], '',
            markdown_table(s['header'], s['rows']), '',
            f'({s["seconds"]:.0f} s)', ''
        ]
        problems += s['problems']
        notes += s.get('notes', [])
    parts += ['## Verdict', '']
    if problems:
        parts += [f'{len(problems)} problem(s):'
                  ] + [f'- {p}' for p in problems]
    else:
        parts += ['Every part ran and passed its checks.']
    if notes:
        parts += ['', 'Not measured (not a failure of the install):'
                  ] + [f'- {n}' for n in notes]
    parts += ['', f'Total: {elapsed:.0f} s.', '']
    return '\n'.join(parts), problems


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--out',
        help='the report file (default work_dirs/gpu_check/gpu_check.md, '
        'work_dirs/gpu_check/dry_run.md with --dry-run)')
    parser.add_argument(
        '--parts', nargs='+', choices=PARTS, default=list(PARTS))
    parser.add_argument(
        '--batch-size',
        type=int,
        help='images per GPU in the step and dist parts (default: the '
        'configs\' own, 256)')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='the same logic on the CPU at tiny sizes (a test, not a '
        'measurement)')
    parser.add_argument(
        '--strong-weights',
        action='store_true',
        help='also fine-tune from strong pre-trained weights at 224 px, 3 '
        'seeds, CE vs Core-tuning (finetune_table.py --setting '
        f'{STRONG_SETTING}, docs/benchmarks.md section 2c)')
    parser.add_argument(
        '--strong-images',
        type=int,
        default=12000,
        help='--strong-weights: labelled-image draws per run (default '
        '12,000, the CPU setting\'s; 600,000 = the paper\'s 100 epochs)')
    parser.add_argument(
        '--fmnist-root',
        default=osp.join(ROOT, 'data', 'fashion_mnist'),
        help='--strong-weights: Fashion-MNIST '
        '(tools/dataset_converters/prepare_fashion_mnist.py)')
    parser.add_argument(
        '--mbv2-checkpoint',
        default=osp.join(ROOT, 'work_dirs', 'benchmarks',
                         'mobilenet_v2_imagenet.pth'),
        help='--strong-weights: the converted ImageNet MobileNetV2')
    parser.add_argument('--dist-worker', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.batch_size is not None and args.batch_size < 2:
        parser.error('--batch-size must be at least 2 (the contrastive '
                     'loss needs pairs)')
    return parser, args


def main(argv=None):
    parser, args = parse_args(argv)
    if args.dist_worker:
        return dist_worker(args)
    if not args.dry_run and not torch.cuda.is_available():
        parser.exit(2, NO_CUDA.format(torch.__version__) + '\n')
    from mmctune.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(0)
    sizes = sizes_of(args)
    device = 'cpu' if args.dry_run else 'cuda'
    out = args.out or osp.join(
        ROOT, 'work_dirs', 'gpu_check',
        'dry_run.md' if args.dry_run else 'gpu_check.md')

    start = time.perf_counter()
    sections = []
    for part in PARTS:
        if part not in args.parts:
            continue
        t = time.perf_counter()
        try:
            if part == 'step':
                section = step_part(device, sizes)
            elif part == 'miner':
                section = miner_part(device, sizes)
            else:
                section = dist_part(args, sizes)
        except Exception as e:  # noqa: BLE001 (report it, run the rest)
            error = ' '.join(f'{type(e).__name__}: {e}'.split())[:300]
            section = dict(
                title=f'{part}: FAILED',
                intro='',
                header=['error'],
                rows=[[error]],
                problems=[f'{part}: {error}'])
        section['seconds'] = time.perf_counter() - t
        sections.append(section)
        free(device)
    if args.strong_weights:
        t = time.perf_counter()
        section = strong_part(args, out)
        section['seconds'] = time.perf_counter() - t
        sections.append(section)
    text, problems = report(args, sections, time.perf_counter() - start)
    print(text)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        f.write(text)
    print(f'written to {out}')
    if problems:
        sys.exit(1)
    return sections


if __name__ == '__main__':
    main()
