"""How Core-tuning's pair mining and contrastive head scale with the batch.

Core-tuning's head of a config (default: the Fashion-MNIST one, 128-d
features, 10 classes) on batches of 64 to 4096 features: the time and the
peak memory of (1) the miner alone (hardness-directed mixup: similarities,
hardest pairs, mixing) and (2) the whole head's loss and backward (CE on the
originals, CE on the generated pairs, projector, focal SupCon). The features
are a pre-trained encoder's on the first Fashion-MNIST training images with
their labels (``--pretrained``, ``--fmnist-root``), or random ones without
them. Peak memory: torch's ``MemTracker`` (every tensor the call allocates,
plus the module's parameters). Time: median of ``--repeats`` calls.

    python .dev_scripts/benchmarks/miner_scaling.py \
        --pretrained work_dirs/benchmarks/pretrain/epoch_4.pth \
        --fmnist-root data/fashion_mnist [--batches 64 256 1024 4096]
"""
import argparse
import os.path as osp
import statistics
import time

import torch
from benchlib import fashion_mnist_batch, load_settings, setting_configs
from mmengine.config import Config

from mmctune.models import build_model
from mmctune.models.utils.labels import labels_of, soft_labels
from mmctune.registry import MODELS
from mmctune.utils import register_all_modules
from mmctune.utils.checkpoint import load_checkpoint

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# the proposed method's config of the model index's setting
# (benchmarks.yml): Core-tuning's on the Fashion-MNIST demo
(_, DEFAULT_CFG), = setting_configs(
    load_settings('miner_scaling')['setting'], ('proposed', ))


class _HeadLoss(torch.nn.Module):
    """The head's loss as a module call, so that the tracker sees the
    classifier's two calls (originals, generated pairs) inside one."""

    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, z, samples):
        return sum(self.head.loss((z, ), samples).values())


def peak_bytes(module, fn):
    from torch.distributed._tools.mem_tracker import MemTracker
    tracker = MemTracker()
    tracker.track_external(module)
    with tracker:
        fn()
    return max(s['Total']
               for s in tracker.get_tracker_snapshot('peak').values())


def timed(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@torch.no_grad()
def encoder_features(cfg, pretrained, root, n):
    """The pre-trained encoder's pooled features of the first ``n`` training
    images, and their labels."""
    model = build_model(cfg)
    state = load_checkpoint(pretrained)
    state = state.get('state_dict', state)
    model.backbone.load_state_dict({
        k[len('backbone.'):]: v
        for k, v in state.items() if k.startswith('backbone.')
    })  # strict: every backbone weight must be in the checkpoint
    model.eval()
    batch = fashion_mnist_batch(root, n)
    data = model.data_preprocessor(batch, False)
    feats = torch.cat(
        [model.extract_feat(x)[-1] for x in data['inputs'].split(512)])
    return feats, data['data_samples']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CFG)
    parser.add_argument(
        '--batches', type=int, nargs='+', default=[64, 256, 1024, 4096])
    parser.add_argument('--pretrained')
    parser.add_argument('--fmnist-root')
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args(argv)
    if bool(args.pretrained) != bool(args.fmnist_root):
        parser.error('--pretrained and --fmnist-root go together')
    register_all_modules()
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(ROOT, args.config))
    if cfg.model.head.get('miner') is None:
        parser.error(f'{args.config}: its head has no miner')
    head = MODELS.build(cfg.model.head)
    head.train()
    n = max(args.batches)
    if args.fmnist_root:
        feats, samples = encoder_features(cfg, args.pretrained,
                                          args.fmnist_root, n)
        source = 'pre-trained encoder features of Fashion-MNIST images'
    else:
        from mmpretrain.structures import DataSample
        feats = torch.randn(n, head.in_channels)
        samples = [
            DataSample().set_gt_label(int(c))
            for c in torch.randint(0, head.num_classes, (n, ))
        ]
        source = 'random features'
    loss = _HeadLoss(head)

    rows = []
    for b in args.batches:
        z = feats[:b].clone().requires_grad_()
        y = soft_labels(labels_of(samples[:b], z.device), head.num_classes)

        def mine():
            with torch.no_grad():
                head.miner(z, y)

        def head_step():
            z.grad = None
            loss(z, samples[:b]).backward()

        rows.append(
            (b, timed(mine, args.repeats), peak_bytes(head.miner, mine),
             timed(head_step, args.repeats), peak_bytes(loss, head_step)))

    print(f'{args.config}: {type(head.miner).__name__} and the head, '
          f'{head.in_channels}-d {source}, CPU {torch.get_num_threads()} '
          f'threads, median of {args.repeats}')
    print('| batch | miner ms | miner peak MB | head loss + backward ms | '
          'head peak MB | time x (vs first) | memory x (vs first) |')
    print('|---|---|---|---|---|---|---|')
    first = rows[0]
    for b, mt, mm, ht, hm in rows:
        print(f'| {b} | {mt * 1e3:.2f} | {mm / 2**20:.2f} | {ht * 1e3:.2f} '
              f'| {hm / 2**20:.2f} | {ht / first[3]:.1f} | '
              f'{hm / first[4]:.1f} |')
    return rows


if __name__ == '__main__':
    main()
