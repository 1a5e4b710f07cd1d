"""What the training loop adds to a bare training step, measured in one
process: a config's Runner trains ``--iters`` iterations (every hook, the data
loader, logging) while a bare loop times ``model.train_step`` of the same
model on batches the same data loader made beforehand.

    python .dev_scripts/benchmarks/loop_overhead.py \
        [--config configs/coretune/r18-tiny_simclr_fmnist.py] \
        [--data-root data/fashion_mnist] [--iters 40] [--rounds 3]

The Runner's per-iteration time is mmengine's ``IterTimerHook`` record
(``train/time``: from the end of one iteration to the end of the next, data
loading included); the bare step is the wall time of ``train_step`` alone.
Rounds alternate the two, and the medians over all iterations after the
first round's warm-up are compared: ``loop / bare`` is the loop's overhead
(the goal: at most 1.05 on the demo).
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time

from mmengine.config import Config

from mmctune.engine.runner import Runner
from mmctune.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = 'configs/coretune/r18-tiny_simclr_fmnist.py'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=DEMO)
    parser.add_argument('--data-root', default='data/fashion_mnist')
    parser.add_argument('--iters', type=int, default=40)
    parser.add_argument('--rounds', type=int, default=3)
    return parser.parse_args(argv)


def loop_config(config, data_root, iters, work_dir):
    cfg = Config.fromfile(
        config if osp.isabs(config) else osp.join(ROOT, config))
    cfg.model.backbone.init_cfg = None  # weights do not change the time
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.train_dataloader.dataset.pop('indices', None)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
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
    loop, data, bare = [], [], []
    with tempfile.TemporaryDirectory() as work:
        cfg = loop_config(args.config, args.data_root, args.iters, work)
        for r in range(args.rounds):
            cfg.experiment_name = f'loop{r}'
            runner = Runner.from_cfg(cfg)
            runner.train()
            times = loop_times(runner)[-args.iters:]
            waits = loop_times(runner, 'train/data_time')[-args.iters:]
            model, wrapper = runner.model, runner.optim_wrapper
            batches = []
            for batch in runner.train_dataloader:
                batches.append(batch)
                if len(batches) == args.iters:
                    break
            steps = []
            for batch in batches:
                start = time.perf_counter()
                model.train_step(batch, wrapper)
                steps.append(time.perf_counter() - start)
            if r:  # the first round warms up both
                loop += times[1:]
                data += waits[1:]
                bare += steps[1:]
    ratio = statistics.median(loop) / statistics.median(bare)
    print(f'{args.config}: loop {statistics.median(loop) * 1e3:.1f} ms, '
          f'bare step {statistics.median(bare) * 1e3:.1f} ms per iteration '
          f'(medians of {len(loop)} and {len(bare)}): loop / bare = '
          f'{ratio:.3f}; the loop waits {statistics.median(data) * 1e3:.1f} '
          'ms per iteration for the data loader')
    return ratio


if __name__ == '__main__':
    main()
