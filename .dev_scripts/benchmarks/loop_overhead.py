"""What the training loop adds to a bare training step, measured in one
process: a config's Runner trains ``--iters`` iterations (one epoch over
that many batches: every hook, the data loader, logging) while a bare loop
times ``model.train_step`` of the same model on batches the same data loader
made beforehand.

    python .dev_scripts/benchmarks/loop_overhead.py \
        [--config configs/coretune/r18-tiny_simclr_fmnist.py] \
        [--data-root data/fashion_mnist] [--iters 40] [--rounds 3] \
        [--batch-size N] [--prefetch]

The Runner's per-iteration time is mmengine's ``IterTimerHook`` record
(``train/time``: from the end of one iteration to the end of the next, data
loading included); the bare step is the wall time of ``train_step`` alone.
Rounds alternate the two, and the medians over all iterations after the
first round's warm-up are compared: ``loop / bare`` is the loop's overhead
(the goal: at most 1.05 on the demo).

``--prefetch`` adds a third variant in each round: the same epoch with the
next batch loaded by a background thread while the current one trains. It
only times the overlap; mmctune does not train this way. Its data wait falls
to almost nothing, and whether its iteration gets shorter depends on a core
being free during the step. Its results are not those of the plain loop: the
thread's augmentations and the step draw from the same NumPy generator (the
Core-tuning mixup's seed, at its first step), in an order the scheduler
picks.
"""
import argparse
import os.path as osp
import queue
import statistics
import tempfile
import threading
import time

from mmengine.config import Config
from mmengine.runner import EpochBasedTrainLoop

from mmctune.engine.runner import Runner
from mmctune.registry import LOOPS
from mmctune.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = 'configs/coretune/r18-tiny_simclr_fmnist.py'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=DEMO)
    parser.add_argument('--data-root', default='data/fashion_mnist')
    parser.add_argument('--iters', type=int, default=40)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument(
        '--batch-size',
        type=int,
        help='the training batch (default: the config\'s)')
    parser.add_argument(
        '--prefetch',
        action='store_true',
        help='also time the loop with the next batch loaded by a '
        'background thread')
    return parser.parse_args(argv)


def prefetched(iterable):
    """The items of ``iterable``, each loaded by a background thread while
    the caller works on the one before."""
    items = queue.Queue(maxsize=1)
    end = object()

    def load():
        try:
            for item in iterable:
                items.put((item, None))
            items.put((end, None))
        except BaseException as e:  # raised in the caller
            items.put((None, e))

    threading.Thread(target=load, daemon=True).start()
    while True:
        item, error = items.get()
        if error is not None:
            raise error
        if item is end:
            return
        yield item


@LOOPS.register_module(name='BenchPrefetchEpochBasedTrainLoop', force=True)
class PrefetchEpochBasedTrainLoop(EpochBasedTrainLoop):
    """mmengine's epoch loop, the next batch loaded by a background thread
    (the benchmark's ``--prefetch`` variant; not part of mmctune)."""

    def run_epoch(self) -> None:
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        # the iterator is made here, in this thread, as mmengine's loop
        # makes it (its base seed comes from torch's generator)
        batches = iter(self.dataloader)
        for idx, data_batch in enumerate(prefetched(batches)):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1


def loop_config(config,
                data_root,
                iters,
                work_dir,
                batch_size=None,
                loop='EpochBasedTrainLoop'):
    cfg = Config.fromfile(
        config if osp.isabs(config) else osp.join(ROOT, config))
    cfg.model.backbone.init_cfg = None  # weights do not change the time
    if batch_size:
        cfg.train_dataloader.batch_size = batch_size
    cfg.train_dataloader.dataset.data_root = data_root
    # one epoch of ``iters`` batches
    cfg.train_dataloader.dataset.indices = (
        iters * cfg.train_dataloader.batch_size)
    cfg.train_cfg = dict(type=loop, max_epochs=1)
    cfg.param_scheduler = []
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**6)
    cfg.work_dir = work_dir
    return cfg


def loop_times(runner, key='train/time'):
    """The Runner's per-iteration times of its last ``train()`` (``key``:
    ``train/time``, or ``train/data_time``, the part spent waiting for the
    data loader)."""
    history = runner.message_hub.get_scalar(key)
    return list(history.data[0])


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    loops = ['EpochBasedTrainLoop']
    if args.prefetch:
        loops.append('BenchPrefetchEpochBasedTrainLoop')
    loop = {name: [] for name in loops}
    data = {name: [] for name in loops}
    bare = []
    with tempfile.TemporaryDirectory() as work:
        cfgs = {
            name:
            loop_config(args.config, args.data_root, args.iters, work,
                        args.batch_size, name)
            for name in loops
        }
        for r in range(args.rounds):
            for name, cfg in cfgs.items():
                cfg.experiment_name = f'{name}{r}'
                runner = Runner.from_cfg(cfg)
                runner.train()
                if r:  # the first round warms up every variant
                    loop[name] += loop_times(runner)[1:]
                    data[name] += loop_times(runner, 'train/data_time')[1:]
            model, wrapper = runner.model, runner.optim_wrapper
            batches = list(runner.train_dataloader)
            steps = []
            for batch in batches:
                start = time.perf_counter()
                model.train_step(batch, wrapper)
                steps.append(time.perf_counter() - start)
            if r:
                bare += steps[1:]
    ratios = {}
    for name in loops:
        ratios[name] = statistics.median(loop[name]) / statistics.median(bare)
        what = 'loop' if name == loops[0] else 'loop, next batch prefetched'
        print(f'{args.config}: {what} '
              f'{statistics.median(loop[name]) * 1e3:.1f} ms, bare step '
              f'{statistics.median(bare) * 1e3:.1f} ms per iteration '
              f'(medians of {len(loop[name])} and {len(bare)}): loop / '
              f'bare = {ratios[name]:.3f}; the loop waits '
              f'{statistics.median(data[name]) * 1e3:.1f} ms per iteration '
              'for the data loader')
    return ratios if args.prefetch else ratios[loops[0]]


if __name__ == '__main__':
    main()
