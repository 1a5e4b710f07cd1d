"""Adjusted mutual information between an HCSC checkpoint's prototypes and
the labels, level by level (HCSC supplement Table 5).

The checkpoint's key encoder embeds the training set with the test-style
pipeline of the config's ``HierarchicalKMeansHook``; the hook's
hierarchical K-means (same prototypes per level, backend and seeds) gives
each image's prototype at each level, compared with its label by
scikit-learn's ``adjusted_mutual_info_score``. The prototypes are
recomputed (a checkpoint holds the encoders, not the clustering); with the
same backend they are those the next epoch would have used.

    python tools/analysis_tools/hcsc_ami.py CONFIG CHECKPOINT \\
        [--num-clusters 100 50 20] [--backend torch] [--out ami.json]

Prints one line per level and writes JSON (default: beside the
checkpoint, ``<checkpoint>_ami.json``).
"""
import argparse
import copy
import json
import os.path as osp
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint
from sklearn.metrics import adjusted_mutual_info_score

from mmctune.engine.hooks.hkmeans_hook import (HierarchicalKMeansHook,
                                               extract_key_features)
from mmctune.models import build_model
from mmctune.models.utils.kmeans import hierarchical_kmeans
from mmctune.utils import register_all_modules
from mmctune.utils.checkpoint import add_trust_argument, register_safe_loaders
from mmctune.utils.dict_action import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='the HCSC pre-training config')
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--num-clusters',
        type=int,
        nargs='+',
        help='prototypes per level (default: the hook\'s)')
    parser.add_argument(
        '--backend',
        choices=['auto', 'faiss', 'torch'],
        help='K-means backend (default: the hook\'s)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='JSON file of the result')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_trust_argument(parser)
    return parser.parse_args(argv)


def ami_per_level(im2cluster, labels) -> list:
    """AMI of each level's assignments with the labels."""
    labels = np.asarray(labels)
    return [
        float(adjusted_mutual_info_score(labels, np.asarray(a)))
        for a in im2cluster
    ]


def hook_config(cfg) -> dict:
    hooks = [
        h for h in cfg.get('custom_hooks', [])
        if h.get('type') in ('HierarchicalKMeansHook',
                             'mmctune.HierarchicalKMeansHook')
    ]
    if len(hooks) != 1:
        raise ValueError(f'{len(hooks)} HierarchicalKMeansHook in the '
                         "config's custom_hooks: give the HCSC pre-training "
                         'config')
    hook = copy.deepcopy(dict(hooks[0]))
    hook.pop('type')
    return hook


def main(argv=None):
    args = parse_args(argv)
    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} not found')
    register_all_modules(init_default_scope=True)
    register_safe_loaders(trust=args.trust_checkpoint)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.model.get('type') not in ('HCSC', 'mmctune.HCSC'):
        raise ValueError(
            f'{args.config} trains {cfg.model.get("type")}, not HCSC')
    hook_cfg = hook_config(cfg)
    if args.num_clusters:
        hook_cfg['num_clusters'] = args.num_clusters
    if args.backend:
        hook_cfg['backend'] = args.backend
    hook = HierarchicalKMeansHook(**hook_cfg)

    model = build_model(cfg).to(args.device)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    loader = hook.build_loader(
        SimpleNamespace(cfg=cfg, build_dataloader=Runner.build_dataloader))
    dataset = loader.dataset
    try:
        labels = np.asarray(dataset.get_gt_labels())
    except (AttributeError, KeyError, TypeError):
        raise ValueError('the training set has no labels: AMI needs them '
                         '(get_gt_labels())') from None
    if hook.num_clusters[0] > len(dataset):
        raise ValueError(f'{len(dataset)} images for {hook.num_clusters[0]} '
                         'prototypes: pass fewer with --num-clusters')
    with torch.no_grad():
        feats = extract_key_features(model, loader, len(dataset))
    result = hierarchical_kmeans(feats, hook.num_clusters, model.temperature,
                                 hook.kmeans, **hook.kmeans_kwargs)
    ami = ami_per_level(result['im2cluster'], labels)
    out = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        backend=hook.backend,
        num_images=len(dataset),
        num_classes=int(len(np.unique(labels))),
        levels=[
            dict(level=i, prototypes=k, ami=a)
            for i, (k, a) in enumerate(zip(hook.num_clusters, ami))
        ])
    print(f'K-means: {hook.backend}; {len(dataset)} images, '
          f'{out["num_classes"]} classes')
    for row in out['levels']:
        print(f'level {row["level"]}: {row["prototypes"]} prototypes, '
              f'AMI {row["ami"]:.4f}')
    path = args.out or osp.splitext(args.checkpoint)[0] + '_ami.json'
    with open(path, 'w') as f:
        json.dump(out, f, indent=2)
    print(f'written {path}')
    return out


if __name__ == '__main__':
    main()
