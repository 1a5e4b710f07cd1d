"""Weight-space ensembles of fine-tuned checkpoints: WiSE-FT and model soups.
Reads checkpoints, picks on the validation split, writes one checkpoint that
``tools/test.py`` loads (strictly) with the same config.

``wise-ft`` (Wortsman et al., *Robust fine-tuning of zero-shot models*,
CVPR 2022): ``theta_alpha = (1 - alpha) theta_0 + alpha theta_1`` for each
``alpha`` of a grid, ``theta_0`` the pre-trained and ``theta_1`` the
fine-tuned weights; the ``alpha`` with the best validation metric is
written. A contrastive pre-training has no classifier for the target
classes, so only the backbone is interpolated and every other key (the
head, the neck, train-only parts) is the fine-tuned checkpoint's.
``theta_0`` is the config's pre-trained backbone (``model.backbone.
init_cfg``), or ``--pretrained CKPT`` (its ``--pretrained-prefix`` keys).

``soup`` (Wortsman et al., *Model soups*, ICML 2022): the checkpoints of
one hyper-parameter sweep (same config, same pre-training), averaged.
``--recipe uniform``: the mean of all; ``--recipe greedy`` (the paper's
Recipe 1): the ingredients sorted by their own validation metric, each
added to the soup if the soup with it scores higher (strictly, as the
authors' code; Algorithm 1 of the paper writes >=) than without it. Both
soups are evaluated and reported; ``--recipe`` says which is written.

BN statistics: the running means and variances of an average of weights are
not those of its features. For every mixed model (0 < alpha < 1, a soup of
two or more) the BN layers that train (``model.train()``: not those of
``frozen_stages`` nor ``norm_eval``) are reset and recomputed as the
cumulative average over ``--bn-batches`` batches of the config's training
loader, in train mode and without gradient (PyTorch's ``swa_utils.
update_bn``), before the model is evaluated and written. On by default
when the model has such layers; ``--bn-batches 0`` turns it off.

Validation: the config's ``val_dataloader`` and ``val_evaluator`` in a
small loop (no hooks). Choosing on the test split reports a tuned test
score, so a config whose validation set is its test set (most paper
configs) is refused unless ``--holdout FRAC`` (the validation split is
FRAC of each class of the training images, ``LabelFraction``'s hold-out,
seeded by ``--holdout-seed``; the runs should have been trained without
them, as the benchmark's are) or ``--allow-test-selection``.

    python tools/model_converters/weight_ensemble.py wise-ft CONFIG FT.pth \\
        --out work_dirs/wise_ft.pth --holdout 0.1 [--alphas 0 0.1 ... 1]
    python tools/model_converters/weight_ensemble.py soup CONFIG A.pth B.pth \\
        C.pth --out work_dirs/soup.pth --holdout 0.1 [--recipe uniform]

Writes OUT (``state_dict`` and ``meta``: the classes of the first
fine-tuned checkpoint and what was chosen) and OUT with ``.json``: every
candidate's validation metrics. The arithmetic and the choice are
``mmctune.engine.weight_ensemble``'s.
"""
import argparse
import json
import os
import os.path as osp
import warnings
from typing import List, Tuple

import torch
from mmengine.config import Config

from mmctune.engine.weight_ensemble import (DEFAULT_ALPHAS, Validation,
                                            holdout_val, load_weights,
                                            pretrained_backbone, soups,
                                            wise_ft)
from mmctune.utils import register_all_modules, silence_known_warnings
from mmctune.utils.cfg_check import check_cfg_options
from mmctune.utils.checkpoint import add_trust_argument, register_safe_loaders
from mmctune.utils.dict_action import DictAction


# ----------------------------------------------------------------------
# command line
# ----------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)

    def common(p):
        p.add_argument('config', help='the config the checkpoints come from')
        p.add_argument('--out', required=True, help='checkpoint to write')
        p.add_argument(
            '--bn-batches',
            type=int,
            default=100,
            help='training batches to recompute BN statistics of a mixed '
            'model from (0: keep the mixed statistics)')
        p.add_argument(
            '--metric',
            help='validation metric to maximise (default accuracy/top1, else '
            'the evaluator\'s first)')
        p.add_argument(
            '--holdout',
            type=float,
            help='validate on this fraction of each class of the training '
            'images (LabelFraction hold-out) instead of the val_dataloader')
        p.add_argument('--holdout-seed', type=int, default=0)
        p.add_argument(
            '--allow-test-selection',
            action='store_true',
            help='choose on a val_dataloader that is the test set')
        p.add_argument('--seed', type=int, default=0)
        p.add_argument(
            '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
        p.add_argument('--cfg-options', nargs='+', action=DictAction)
        add_trust_argument(p)

    wise = sub.add_parser('wise-ft', help='interpolate with the pre-training')
    common(wise)
    wise.add_argument('finetuned', help='the fine-tuned checkpoint')
    wise.add_argument(
        '--alphas',
        type=float,
        nargs='+',
        default=DEFAULT_ALPHAS,
        help='weights of the fine-tuned model to try (default 0, 0.1, ..., '
        '1)')
    wise.add_argument(
        '--pretrained',
        help='pre-trained checkpoint (default: the config\'s '
        'model.backbone.init_cfg)')
    wise.add_argument(
        '--pretrained-prefix',
        default='backbone.',
        help='the backbone\'s key prefix in --pretrained')

    soup = sub.add_parser('soup', help='average the runs of a sweep')
    common(soup)
    soup.add_argument('checkpoints', nargs='+')
    soup.add_argument(
        '--recipe', choices=['greedy', 'uniform'], default='greedy')
    args = parser.parse_args(argv)
    if args.command == 'wise-ft':
        bad = [a for a in args.alphas if not 0 <= a <= 1]
        if bad:
            parser.error(f'--alphas must lie in [0, 1], got {bad}')
    elif len(args.checkpoints) < 2:
        parser.error('a soup needs two or more checkpoints')
    if args.holdout is not None and not 0 < args.holdout < 1:
        parser.error(f'--holdout must be in (0, 1), got {args.holdout}')
    if args.bn_batches < 0:
        parser.error('--bn-batches must be >= 0')
    return args


def prepare_config(args):
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    for key in ('val_dataloader', 'val_evaluator', 'train_dataloader'):
        if not cfg.get(key):
            raise ValueError(f'{args.config} has no {key}')
    notes = []
    if args.holdout is not None:
        notes += holdout_val(cfg, args.holdout, args.holdout_seed)
    else:
        test = cfg.get('test_dataloader') or {}
        if (test.get('dataset') == cfg.val_dataloader.get('dataset')
                and not args.allow_test_selection):
            raise ValueError(
                f'{args.config}: its val_dataloader is its test set, so '
                'choosing on it would report a tuned test score. Use '
                '--holdout FRAC (a held-out part of the training images), a '
                'config whose val_dataloader is a validation split, or '
                '--allow-test-selection to do it knowingly.')
    return cfg, notes


def table(rows: List[Tuple[str, float]], metric: str) -> str:
    lines = [f'| candidate | {metric} |', '|---|---|']
    lines += [f'| {name} | {value:.4f} |' for name, value in rows]
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    silence_known_warnings()
    paths = [args.config] + ([args.finetuned] if args.command == 'wise-ft' else
                             args.checkpoints)
    if args.command == 'wise-ft' and args.pretrained:
        paths.append(args.pretrained)
    for path in paths:
        if '://' not in path and not osp.isfile(path):
            raise FileNotFoundError(f'{path} not found')
    register_safe_loaders(trust=args.trust_checkpoint)
    register_all_modules()
    cfg, notes = prepare_config(args)
    for note in notes:
        warnings.warn(note)
    val = Validation(cfg, args.metric, args.bn_batches, args.device, args.seed)
    if val.has_bn and not val.bn_batches:
        print('BN statistics of mixed models: kept as mixed '
              '(--bn-batches 0)')
    elif val.bn_batches:
        print(f'BN statistics of mixed models: recomputed from up to '
              f'{val.bn_batches} training batches')
    record = dict(config=args.config, command=args.command)

    if args.command == 'wise-ft':
        finetuned, meta = load_weights(args.finetuned)
        theta0 = pretrained_backbone(cfg, args.pretrained,
                                     args.pretrained_prefix)
        result = wise_ft(val, theta0, finetuned, args.alphas)
        rows = [(f'alpha={c["alpha"]:g}', c['metrics'][val.metric])
                for c in result['candidates']]
        record.update(
            finetuned=args.finetuned,
            pretrained=args.pretrained or 'the config\'s init_cfg',
            candidates=result['candidates'],
            chosen=dict(alpha=result['alpha'], score=result['score']))
        out_sd = result['state_dict']
        chosen = f'alpha={result["alpha"]:g}'
    else:
        state_dicts, metas = [], []
        for path in args.checkpoints:
            sd, meta = load_weights(path)
            state_dicts.append(sd)
            metas.append(meta)
        meta = metas[0]
        result = soups(val, state_dicts, args.checkpoints)
        rows = [(f'#{i} {r["name"]}', r['score'])
                for i, r in enumerate(result['ingredients'])]
        greedy = result['greedy']
        rows += [('uniform soup', result['uniform']['score']),
                 (f'greedy soup {greedy["kept"]}', greedy['score'])]
        record.update(
            ingredients=[
                dict(checkpoint=r['name'], score=r['score'])
                for r in result['ingredients']
            ],
            uniform=dict(score=result['uniform']['score']),
            greedy=dict(
                kept=greedy['kept'],
                score=greedy['score'],
                trials=greedy['trials']),
            chosen=args.recipe)
        out_sd = result[args.recipe]['state_dict']
        chosen = f'{args.recipe} soup'

    record.update(metric=val.metric, notes=notes)
    print(table(rows, val.metric))
    print(f'written: {chosen} -> {args.out}')
    if osp.dirname(args.out):
        os.makedirs(osp.dirname(args.out), exist_ok=True)
    out_meta = {k: v for k, v in meta.items() if k == 'dataset_meta'}
    out_meta['weight_ensemble'] = dict(
        command=args.command,
        chosen=chosen,
        bn_recomputed=bool(val.bn_batches))
    torch.save(dict(state_dict=out_sd, meta=out_meta), args.out)
    with open(osp.splitext(args.out)[0] + '.json', 'w') as f:
        json.dump(record, f, indent=2)
    return record


if __name__ == '__main__':
    main()
