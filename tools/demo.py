"""The built-in real-data default: contrastive pre-training, then fine-tuning.

1. Fashion-MNIST from the Debian package ``dataset-fashion-mnist`` (or
   ``--data-root``), decompressed into ``data/fashion_mnist``.
2. SimCLR pre-training of a small ResNet on the 60,000 training images,
   labels unused (``configs/pretrain/simclr_r18-tiny_fmnist.py``). The
   checkpoint is cached under ``work_dirs/demo/``, keyed by the resolved
   config, so a second run skips this step.
3. CE-tuning and Core-tuning on the first 6,000 labelled training images
   (``configs/baselines/ce_r18-tiny_simclr_fmnist.py``,
   ``configs/coretune/r18-tiny_simclr_fmnist.py``), each from the same
   pre-trained backbone, then top-1 of each on the 10,000 test images,
   side by side. ``--methods`` picks other fine-tuning methods (``all``:
   every method with a Fashion-MNIST config). The adversarial ones (AT-CE,
   AT-Core) also print their accuracy under PGD-10 attacks.

    python tools/demo.py   # about 9 minutes on 2 CPU cores (6 once cached)
    python tools/demo.py --methods all
    python tools/demo.py --methods AT-CE AT-Core

The ``--pretrain-images``/``--labelled``/``--test-images`` options shrink the
run (the tests use them).
"""
import argparse
import hashlib
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))
import mmctune  # noqa: E402,F401  (applies the stack's compatibility fixes)
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from prepare_fashion_mnist import prepare  # noqa: E402

PRETRAIN_CFG = osp.join(ROOT, 'configs/pretrain/simclr_r18-tiny_fmnist.py')
# method -> (config, work-dir name)
FINETUNE_CFGS = {
    'CE-tuning':
    ('configs/baselines/ce_r18-tiny_simclr_fmnist.py', 'ce-tuning'),
    'Core-tuning':
    ('configs/coretune/r18-tiny_simclr_fmnist.py', 'core-tuning'),
    'L2-SP': ('configs/l2sp/r18-tiny_simclr_fmnist.py', 'l2sp'),
    'DELTA': ('configs/delta/r18-tiny_simclr_fmnist.py', 'delta'),
    'BSS': ('configs/bss/r18-tiny_simclr_fmnist.py', 'bss'),
    'RIFLE': ('configs/rifle/r18-tiny_simclr_fmnist.py', 'rifle'),
    'M&M': ('configs/mm/r18-tiny_simclr_fmnist.py', 'mm'),
    'Bi-tuning': ('configs/bituning/r18-tiny_simclr_fmnist.py', 'bituning'),
    'Noisy-Tune': ('configs/noisytune/r18-tiny_simclr_fmnist.py', 'noisytune'),
    'COIN': ('configs/coin/r18-tiny_simclr_fmnist.py', 'coin'),
    # adversarial fine-tuning: also tested under PGD-10 attacks
    'AT-CE': ('configs/adv/at-ce_r18-tiny_simclr_fmnist.py', 'at-ce'),
    'AT-Core': ('configs/adv/at-core_r18-tiny_simclr_fmnist.py', 'at-core'),
}
DEFAULT_METHODS = ('CE-tuning', 'Core-tuning')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='mmctune demo: SimCLR pre-training then CE-tuning on '
        'Fashion-MNIST, on the CPU')
    parser.add_argument(
        '--data-root',
        default='data/fashion_mnist',
        help='Fashion-MNIST folder (made from the Debian package if absent)')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--pretrain-images',
        type=int,
        help='pre-train on the first N training images (default: all)')
    parser.add_argument(
        '--labelled',
        type=int,
        help='fine-tune on the first N labelled images (default: the '
        'config\'s 6,000)')
    parser.add_argument(
        '--test-images',
        type=int,
        help='test on the first N test images (default: all 10,000)')
    parser.add_argument(
        '--methods',
        nargs='+',
        default=list(DEFAULT_METHODS),
        metavar='METHOD',
        help=f'fine-tuning methods to run, or "all": '
        f'{", ".join(FINETUNE_CFGS)} (default: CE-tuning Core-tuning)')
    parser.add_argument('--pretrain-epochs', type=int)
    parser.add_argument('--finetune-epochs', type=int)
    parser.add_argument('--batch-size', type=int)
    args = parser.parse_args(argv)
    if args.methods == ['all']:
        args.methods = list(FINETUNE_CFGS)
    unknown = [m for m in args.methods if m not in FINETUNE_CFGS]
    if unknown:
        parser.error(f'unknown method(s) {unknown}; choose from '
                     f'{list(FINETUNE_CFGS)} or "all"')
    return args


def _set_data(cfg,
              data_root,
              train_images=None,
              test_images=None,
              batch_size=None):
    cfg.train_dataloader.dataset.data_root = data_root
    if train_images is not None:
        cfg.train_dataloader.dataset.indices = train_images
    if batch_size is not None:
        cfg.train_dataloader.batch_size = batch_size
    for split in ('val_dataloader', 'test_dataloader'):
        if cfg.get(split) is not None:
            cfg[split].dataset.data_root = data_root
            if test_images is not None:
                cfg[split].dataset.indices = test_images


def _set_epochs(cfg, epochs):
    """Change the number of epochs and stretch the epoch-based schedules
    (``begin``/``end``/``T_max``) with it."""
    if epochs is None:
        return
    scale = epochs / cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    if cfg.train_cfg.get('val_interval') is not None:
        cfg.train_cfg.val_interval = epochs
    schedulers = cfg.param_scheduler if isinstance(
        cfg.param_scheduler, list) else [cfg.param_scheduler]
    for s in schedulers:
        if s.get('by_epoch', True):
            for key in ('begin', 'end', 'T_max'):
                if key in s:
                    s[key] = s[key] * scale


def pretrain(args):
    cfg = Config.fromfile(PRETRAIN_CFG)
    _set_data(cfg, args.data_root, args.pretrain_images, None, args.batch_size)
    _set_epochs(cfg, args.pretrain_epochs)
    key = hashlib.sha1(cfg.pretty_text.encode()).hexdigest()[:8]
    cfg.work_dir = osp.join(args.work_dir, f'simclr_pretrain_{key}')
    ckpt = osp.join(cfg.work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')
    if osp.isfile(ckpt):
        print(f'[2/3] SimCLR pre-training: cached, {ckpt}', flush=True)
        return ckpt
    n = args.pretrain_images or 'all 60,000'
    print(
        f'[2/3] SimCLR pre-training on {n} unlabelled training images, '
        f'{cfg.train_cfg.max_epochs} epoch(s) -> {cfg.work_dir}',
        flush=True)
    Runner.from_cfg(cfg).train()
    if not osp.isfile(ckpt):
        raise RuntimeError(f'pre-training did not write {ckpt}')
    return ckpt


def finetune(args, pretrained, method):
    config, name = FINETUNE_CFGS[method]
    cfg = Config.fromfile(osp.join(ROOT, config))
    _set_data(cfg, args.data_root, args.labelled, args.test_images,
              args.batch_size)
    _set_epochs(cfg, args.finetune_epochs)
    cfg.model.backbone.init_cfg.checkpoint = pretrained
    cfg.work_dir = osp.join(args.work_dir, name)
    labelled = cfg.train_dataloader.dataset.indices
    print(
        f'[3/3] {method} on {labelled} labelled images, '
        f'{cfg.train_cfg.max_epochs} epochs -> {cfg.work_dir}',
        flush=True)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    return metrics, labelled, len(runner.test_dataloader.dataset)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    print(f'[1/3] Fashion-MNIST: {prepare(args.data_root)}', flush=True)
    pretrained = pretrain(args)
    results = {
        method: finetune(args, pretrained, method)
        for method in args.methods
    }
    minutes = (time.time() - start) / 60
    rows = ''.join(f'| {method} | SimCLR (unlabelled train images) | '
                   f'{labelled:,} | {n_test:,} | '
                   f"{metrics['accuracy/top1']:.2f} |\n"
                   for method, (metrics, labelled, n_test) in results.items())
    print('\nmmctune demo: Fashion-MNIST, small ResNet-18, CPU\n'
          '| method | pre-training | labelled images | test images | '
          'test top-1 (%) |\n'
          f'|---|---|---|---|---|\n{rows}{robust_table(results)}'
          f'({minutes:.1f} min)')
    return {
        method: metrics['accuracy/top1']
        for method, (metrics, _, _) in results.items()
    }


def robust_table(results):
    """Clean and PGD-10 top-1 of the adversarially trained methods (the
    Core-tuning paper's Table 9 columns), or '' without any."""
    robust = {
        m: r[0]
        for m, r in results.items() if any('pgd' in k for k in r[0])
    }
    if not robust:
        return ''
    attacks = [
        k[:-len('/accuracy/top1')] for k in next(iter(robust.values()))
        if k.endswith('/accuracy/top1')
    ]
    rows = ''.join(f'| {m} | {metrics["accuracy/top1"]:.2f} | ' +
                   ' | '.join(f'{metrics[a + "/accuracy/top1"]:.2f}'
                              for a in attacks) + ' |\n'
                   for m, metrics in robust.items())
    return ('\nrobust top-1 (%) under PGD-10, test images as above\n'
            f'| method | clean | {" | ".join(attacks)} |\n'
            f'|---|---|{"---|" * len(attacks)}\n{rows}')


if __name__ == '__main__':
    main()
