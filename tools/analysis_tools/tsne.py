"""t-SNE of a checkpoint's encoder features, coloured by class, as a PNG
(the papers' feature-space figures). CHECKPOINT: a classifier the toolbox
trained or a pre-training checkpoint; its ``backbone.`` weights are loaded,
strictly.

    python tools/analysis_tools/tsne.py CONFIG CHECKPOINT --out tsne.png \
        [--split test] [--max-samples 2000]
"""
import argparse
import os
import os.path as osp

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt
from mmengine.runner import Runner

from mmctune.apis import init_model
from mmctune.datasets import train_eval_loader_cfg
from mmctune.evaluation.functional import extract_features
from mmctune.utils.checkpoint import add_trust_argument, register_safe_loaders
from mmctune.utils.dict_action import DictAction
from mmctune.visualization import tsne_embedding


def plot(points, labels, classes, out, title):
    fig, ax = plt.subplots(figsize=(7, 7), dpi=120)
    cmap = plt.get_cmap('tab10' if len(classes) <= 10 else 'tab20')
    for c in sorted(set(labels.tolist())):
        sel = labels == c
        name = classes[c] if classes and c < len(classes) else str(c)
        ax.scatter(
            points[sel, 0],
            points[sel, 1],
            s=4,
            alpha=0.7,
            color=cmap(c % cmap.N),
            label=name)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    if len(classes or ()) <= 20:
        ax.legend(markerscale=3, fontsize=7, loc='best')
    fig.tight_layout()
    if osp.dirname(out):
        os.makedirs(osp.dirname(out), exist_ok=True)
    fig.savefig(out)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', default='tsne.png')
    parser.add_argument(
        '--split', choices=['train', 'val', 'test'], default='test')
    parser.add_argument('--max-samples', type=int, default=2000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} not found')
    register_safe_loaders(trust=args.trust_checkpoint)
    model, cfg = init_model(
        args.config,
        args.checkpoint,
        cfg_options=args.cfg_options,
        backbone_only=True)
    loader_cfg = cfg[f'{args.split}_dataloader']
    if args.split == 'train':  # no augmentation, a fixed sample
        loader_cfg = train_eval_loader_cfg(cfg)
    loader = Runner.build_dataloader(loader_cfg)
    feats, labels = extract_features(model, loader, args.max_samples)
    points = tsne_embedding(feats.numpy(), seed=args.seed)
    classes = loader.dataset.metainfo.get('classes')
    plot(
        points, labels.numpy(), classes, args.out,
        f'{osp.basename(args.checkpoint)}: {len(labels)} {args.split} '
        'images')
    print(f'{args.out}: t-SNE of {len(labels)} features')


if __name__ == '__main__':
    main()
