"""Throughput of Core-tuning with global-batch mining on 1 and on N gloo
processes of this machine, and the communication the mining adds per step.

Each process trains the config's model (default: Core-tuning on
Fashion-MNIST, ``gather_distributed=True``) wrapped in mmengine's
``MMDistributedDataParallel``, on its own ``--batch-size`` real
Fashion-MNIST training images, with ``cpu_count / N`` threads, so every
world size gets the whole machine. The same steps are then run with the
gathering off (each rank mines its own batch): the difference is what the
global-batch mining costs. The collectives are also timed alone, at the
sizes of one step: the features-and-labels all-gather (forward and
backward) of the mining, and the gradient all-reduce that DDP does for any
method. Times are medians over ``--steps`` steps after ``--warmup``; the
two settings alternate step by step, as in ``step_time.py``.

    python .dev_scripts/benchmarks/dist_throughput.py \
        --fmnist-root data/fashion_mnist [--world-sizes 1 2] \
        [--batch-size 128] [--steps 10]
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import time

from benchlib import load_settings, setting_configs

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# the proposed method's config of the model index's setting
# (benchmarks.yml): Core-tuning's on the Fashion-MNIST demo
(_, DEFAULT_CFG), = setting_configs(
    load_settings('dist_throughput')['setting'], ('proposed', ))


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _median_times(fns, warmup, steps, barrier):
    """Median time of each of ``fns``, called in turn round by round (the
    order reversed every other round), so drifts of the machine's speed hit
    all of them."""
    times = [[] for _ in fns]
    for i in range(warmup + steps):
        order = range(len(fns)) if i % 2 == 0 else reversed(range(len(fns)))
        for j in order:
            barrier()
            start = time.perf_counter()
            fns[j]()
            barrier()
            if i >= warmup:
                times[j].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def _build(cfg_path, gather, world):
    import torch
    from mmengine.config import Config
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import build_optim_wrapper

    from mmctune.models import build_model
    cfg = Config.fromfile(osp.join(ROOT, cfg_path))
    cfg.model.head.gather_distributed = gather
    torch.manual_seed(0)
    # no pre-trained weights, no init_weights(): the values do not change
    # the time
    model = build_model(cfg)
    if world > 1:
        model = MMDistributedDataParallel(module=model)
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def worker(rank, world, port, args, queue):
    import torch
    import torch.distributed as dist
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    if world > 1:
        dist.init_process_group(
            'gloo',
            init_method=f'tcp://127.0.0.1:{port}',
            rank=rank,
            world_size=world)
    from benchlib import fashion_mnist_batch

    from mmctune.utils import register_all_modules
    register_all_modules()
    barrier = dist.barrier if world > 1 else (lambda: None)

    b = args.batch_size
    full = fashion_mnist_batch(args.fmnist_root, b * world)
    batch = dict(
        inputs=full['inputs'][rank * b:(rank + 1) * b],
        data_samples=full['data_samples'][rank * b:(rank + 1) * b])
    result = dict(threads=torch.get_num_threads())
    runs = {g: _build(args.config, g, world) for g in (True, False)}
    steps = [
        lambda run=run: run[0].train_step(batch, run[1])
        for run in runs.values()
    ]
    result.update(
        zip(runs, _median_times(steps, args.warmup, args.steps, barrier)))
    model = runs[True][0]
    module = getattr(model, 'module', model)
    n_params = sum(p.numel() for p in module.parameters() if p.requires_grad)
    width = module.head.in_channels + module.head.num_classes
    result.update(params=n_params, gathered_width=width)
    if world > 1:
        from torch.distributed.nn.functional import all_gather
        x = torch.randn(b, width, requires_grad=True)

        def gather_fwd_bwd():
            torch.cat(all_gather(x)).sum().backward()

        grads = torch.randn(n_params)
        result['gather_s'], result['allreduce_s'] = _median_times(
            [gather_fwd_bwd, lambda: dist.all_reduce(grads)], args.warmup,
            args.steps, barrier)
    if rank == 0:
        queue.put(result)
    if world > 1:
        # Leave without tearing the process group down: at interpreter exit
        # the DDP reducer's process group is destroyed under the GIL while
        # gloo's worker thread may still wait for the GIL to free a finished
        # work's tensors, a deadlock that left a rank hanging under load.
        # Every collective has completed (the barrier), the result is sent.
        barrier()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def measure(world, args):
    import torch.multiprocessing as mp
    ctx = mp.get_context('spawn')
    queue = ctx.SimpleQueue()
    port = _free_port()
    procs = [
        ctx.Process(target=worker, args=(r, world, port, args, queue))
        for r in range(world)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    bad = [p.exitcode for p in procs if p.exitcode != 0]
    if bad:
        raise RuntimeError(f'{world} process(es): exit codes {bad}')
    return queue.get()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=DEFAULT_CFG)
    parser.add_argument('--fmnist-root', default='data/fashion_mnist')
    parser.add_argument('--world-sizes', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    args = parser.parse_args(argv)
    if min(args.world_sizes) < 1:
        parser.error('world sizes must be >= 1')

    results = {w: measure(w, args) for w in args.world_sizes}
    first = args.world_sizes[0]
    base = args.batch_size * first / results[first][True]
    print(f'{args.config}, gloo on this machine ({os.cpu_count()} CPUs), '
          f'batch {args.batch_size} per process, real Fashion-MNIST images, '
          f'median of {args.steps} steps after {args.warmup}')
    print('| processes | threads each | global batch | s/step | images/s | '
          f'throughput vs {first} | s/step, each rank mines its own batch | '
          'global mining adds |')
    print('|---|---|---|---|---|---|---|---|')
    for w, r in results.items():
        ips = args.batch_size * w / r[True]
        print(f'| {w} | {r["threads"]} | {args.batch_size * w} | '
              f'{r[True]:.3f} | {ips:.0f} | {ips / base:.2f} | '
              f'{r[False]:.3f} | {(r[True] - r[False]) * 1e3:+.0f} ms |')
    comm = [(w, r) for w, r in results.items() if w > 1]
    if comm:
        print('\ncommunication per step and rank (bytes received; time of '
              'the collective alone, same sizes)')
        print('| processes | mining: features + labels all-gather, forward '
              '+ backward | time | DDP gradient all-reduce (any method) | '
              'time |')
        print('|---|---|---|---|---|')
    for w, r in comm:
        gathered = 2 * (w - 1) * args.batch_size * r['gathered_width'] * 4
        allreduce = 2 * (w - 1) / w * r['params'] * 4
        print(f'| {w} | {gathered / 1e3:.0f} kB ({args.batch_size} x '
              f'{r["gathered_width"]} floats from each of {w - 1} other '
              f'rank(s), twice) | {r["gather_s"] * 1e3:.1f} ms | '
              f'{allreduce / 1e6:.2f} MB ({r["params"]:,} gradients, ring) '
              f'| {r["allreduce_s"] * 1e3:.1f} ms |')
    return results


if __name__ == '__main__':
    main()
