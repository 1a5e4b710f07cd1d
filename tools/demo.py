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
   every method of the model index's ``fmnist`` setting, the demo's
   configs, ``mmctune.apis.setting_models``). The adversarial ones (AT-CE,
   AT-Core, AT-L2SP) also print their accuracy under PGD-10 attacks.
4. The table's top-1 as a figure, ``<work-dir>/demo_results.png`` (a bar
   per method, CE-tuning's level dashed), and, when CE-tuning and
   Core-tuning both ran, ``<work-dir>/demo_tsne.png``: the t-SNE of their
   features of the same first 500 test images (seconds).

    python tools/demo.py   # about 9 minutes on 2 CPU cores (6 once cached)
    python tools/demo.py --methods all
    python tools/demo.py --methods AT-CE AT-Core

The ``--pretrain-images``/``--labelled``/``--test-images`` options shrink the
run (the tests use them); ``--pretrain-epochs``/``--finetune-epochs`` change
the runs' length as ``tools/train.py`` does for
``--cfg-options train_cfg.max_epochs=N`` (the schedule fitted to the run).

Step 1 is the command ``python
tools/dataset_converters/prepare_fashion_mnist.py --out DATA_ROOT``, run as
a subprocess: the demo is what a user types, in one command, and imports
nothing but the package.
"""
import argparse
import hashlib
import os.path as osp
import subprocess
import sys
import time

from mmengine.config import Config

from mmctune.apis import ModelHub, setting_models
from mmctune.apis.model import slug
from mmctune.engine.runner import Runner
from mmctune.utils.checkpoint import register_safe_loaders
from mmctune.utils.launch import fit_schedule
from mmctune.visualization import save_figure, top1_figure, tsne_figure

TOOLS = osp.dirname(osp.abspath(__file__))
# the demo's pre-training, a model of the index
PRETRAIN_MODEL = 'pretrain/simclr_r18-tiny_fmnist'
# the methods of the demo: the model index's setting 'fmnist', fine-tuning
# and adversarial (not the paper's Table 2 ablations), by name, in the
# tables' order
SETTING = 'fmnist'
METHODS = {
    m.in_collection: m
    for m in setting_models(SETTING, ('reference', 'baseline', 'proposed',
                                      'adversarial'))
}
# the comparison the demo runs without --methods: the reference and the
# proposed method (CE-tuning and Core-tuning)
DEFAULT_METHODS = tuple(
    m.in_collection
    for m in setting_models(SETTING, ('reference', 'proposed')))
# the test images whose features the t-SNE figure shows
TSNE_IMAGES = 500


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
        f'{", ".join(METHODS)} (default: {" ".join(DEFAULT_METHODS)})')
    parser.add_argument('--pretrain-epochs', type=int)
    parser.add_argument('--finetune-epochs', type=int)
    parser.add_argument('--batch-size', type=int)
    args = parser.parse_args(argv)
    if args.methods == ['all']:
        args.methods = list(METHODS)
    unknown = [m for m in args.methods if m not in METHODS]
    if unknown:
        parser.error(f'unknown method(s) {unknown}; choose from '
                     f'{list(METHODS)} or "all"')
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


def set_epochs(cfg, epochs):
    """Train for ``epochs`` epochs (None: the config's), the schedule fitted
    to the run as ``tools/train.py`` fits it; validation at the end."""
    if epochs is None:
        return
    cfg.train_cfg.max_epochs = epochs
    if cfg.train_cfg.get('val_interval') is not None:
        cfg.train_cfg.val_interval = epochs
    fit_schedule(cfg)


def prepare_data(data_root):
    """Step 1: tools/dataset_converters/prepare_fashion_mnist.py, run as a
    command (it prints the folder, or exits with how to get the data)."""
    script = osp.join(TOOLS, 'dataset_converters', 'prepare_fashion_mnist.py')
    r = subprocess.run([sys.executable, script, '--out', data_root],
                       stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        sys.exit(r.stderr.strip() or r.stdout.strip())
    return r.stdout.strip()


def pretrain(args):
    cfg = Config.fromfile(ModelHub.metainfo(PRETRAIN_MODEL).config)
    _set_data(cfg, args.data_root, args.pretrain_images, None, args.batch_size)
    set_epochs(cfg, args.pretrain_epochs)
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
    config, name = METHODS[method].config, slug(method)
    cfg = Config.fromfile(config)
    _set_data(cfg, args.data_root, args.labelled, args.test_images,
              args.batch_size)
    set_epochs(cfg, args.finetune_epochs)
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
    features = None
    if method in DEFAULT_METHODS:  # for the t-SNE figure
        from mmctune.evaluation.functional import extract_features
        loader = runner.test_dataloader
        features = extract_features(runner.model, loader, TSNE_IMAGES) + (
            loader.dataset.metainfo.get('classes'), )
    return metrics, labelled, len(runner.test_dataloader.dataset), features


def main(argv=None):
    args = parse_args(argv)
    register_safe_loaders()  # the Runner loads checkpoints
    start = time.time()
    print(f'[1/3] Fashion-MNIST: {prepare_data(args.data_root)}', flush=True)
    pretrained = pretrain(args)
    results = {
        method: finetune(args, pretrained, method)
        for method in args.methods
    }
    minutes = (time.time() - start) / 60
    rows = ''.join(f'| {method} | SimCLR (unlabelled train images) | '
                   f'{labelled:,} | {n_test:,} | '
                   f"{metrics['accuracy/top1']:.2f} |\n"
                   for method, (metrics, labelled, n_test,
                                _) in results.items())
    print('\nmmctune demo: Fashion-MNIST, small ResNet-18, CPU\n'
          '| method | pre-training | labelled images | test images | '
          'test top-1 (%) |\n'
          f'|---|---|---|---|---|\n{rows}{robust_table(results)}'
          f'({minutes:.1f} min)')
    top1 = {m: r[0]['accuracy/top1'] for m, r in results.items()}
    _, labelled, n_test, _ = next(iter(results.values()))
    path = save_figure(
        results_figure(top1, labelled, n_test),
        osp.join(args.work_dir, 'demo_results.png'))
    print(f'figure of the table (test top-1 of each method, '
          f'{DEFAULT_METHODS[0]}\'s level dashed): {path}')
    features = {m: r[3] for m, r in results.items() if r[3] is not None}
    if len(features) == 2:
        path = save_figure(
            demo_tsne_figure(features), osp.join(args.work_dir,
                                                 'demo_tsne.png'))
        print(f't-SNE of {" and ".join(features)}\'s features of the '
              f'same {len(features[DEFAULT_METHODS[0]][1])} test images: '
              f'{path}')
    return top1


def results_figure(top1, labelled, n_test):
    """The table's test top-1 as a figure (a bar per method, the
    reference's level dashed): the printed numbers, to 2 decimals."""
    return top1_figure(
        {
            method: {
                f'{labelled:,} labelled images, {n_test:,} test images': {
                    0: round(value, 2)
                }
            }
            for method, value in top1.items()
        },
        DEFAULT_METHODS[0],
        highlight=DEFAULT_METHODS[1],
        title='mmctune demo: Fashion-MNIST, small ResNet-18, SimCLR '
        'pre-training')


def demo_tsne_figure(features):
    """t-SNE of each method's (features, labels, classes) of the same test
    images, side by side."""
    from mmctune.visualization import tsne_embedding
    labels = [f[1].tolist() for f in features.values()]
    if labels[0] != labels[1]:
        raise RuntimeError('the methods\' test images differ')
    return tsne_figure(
        {
            m: tsne_embedding(f[0].numpy())
            for m, f in features.items()
        },
        labels[0],
        next(iter(features.values()))[2],
        title='mmctune demo: encoder features of the same test images')


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
