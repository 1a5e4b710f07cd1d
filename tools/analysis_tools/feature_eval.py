"""Evaluate a checkpoint's encoder features: weighted kNN accuracy and the
S_Dbw cluster validity index.

kNN (the paper's appendix Table 11; NPID / HCSC protocol): the training
images (with the test pipeline) are the memory bank, the test images the
queries; cosine similarity, votes exp(s / 0.07), K in {10, 20, 100, 200},
every K and the best. S_Dbw (COIN's Table 2; lower is better): the test
features grouped by their labels, Halkidi's definition.

    python tools/analysis_tools/feature_eval.py CONFIG CHECKPOINT [--ks 10 20]

CHECKPOINT: a classifier the toolbox trained, or a pre-training checkpoint
(SimCLR, MoCo, ...): its ``backbone.`` weights are loaded, strictly.
Prints a table and writes features.json to the work directory.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config

from mmctune.apis import load_model_checkpoint
from mmctune.datasets import train_eval_loader_cfg
from mmctune.engine.runner import Runner
from mmctune.models import model_config
from mmctune.utils.cfg_check import check_cfg_options
from mmctune.utils.checkpoint import add_trust_argument, register_safe_loaders
from mmctune.utils.dict_action import DictAction
from mmctune.utils.launch import default_work_dir


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--ks', type=int, nargs='+', default=[10, 20, 100, 200])
    parser.add_argument('--temperature', type=float, default=0.07)
    parser.add_argument(
        '--no-s-dbw', action='store_true', help='skip S_Dbw (kNN only)')
    parser.add_argument('--work-dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_trust_argument(parser)
    return parser.parse_args(argv)


def knn_config(cfg, args):
    """The config's test set as queries and its whole training set (with
    the test pipeline, in order) as the bank."""
    bank = train_eval_loader_cfg(
        cfg, whole_set=True, batch_size=cfg.test_dataloader.batch_size)
    cfg.test_cfg = dict(
        type='KNNTestLoop',
        bank_dataloader=bank,
        ks=args.ks,
        temperature=args.temperature,
        s_dbw=not args.no_s_dbw)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} not found')
    register_safe_loaders(trust=args.trust_checkpoint)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    cfg = knn_config(cfg, args)
    # work_dirs/features/<the config's path under configs/>: one per config
    cfg.work_dir = args.work_dir or default_work_dir(
        args.config, root=osp.join('work_dirs', 'features'))
    cfg.model = model_config(cfg, pretrained=False)  # the checkpoint's
    runner = Runner.from_cfg(cfg)
    # the encoder of a fine-tuned classifier or of a pre-training, strictly
    load_model_checkpoint(runner.model, args.checkpoint, backbone_only=True)
    metrics = runner.test()
    print('| ' + ' | '.join(metrics) + ' |')
    print('|' + '---|' * len(metrics))
    print('| ' + ' | '.join(f'{v:.4g}' for v in metrics.values()) + ' |')
    os.makedirs(cfg.work_dir, exist_ok=True)
    with open(osp.join(cfg.work_dir, 'features.json'), 'w') as f:
        json.dump(dict(checkpoint=args.checkpoint, **metrics), f, indent=2)
    return metrics


if __name__ == '__main__':
    main()
