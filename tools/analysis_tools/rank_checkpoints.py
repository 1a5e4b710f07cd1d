"""Rank pre-trained checkpoints for a target dataset before fine-tuning, by
transferability scores of their features (higher is better for each):

- ``logme``: LogME (You et al., ICML 2021);
- ``nleep``: N-LEEP (Li et al., CVPR 2021): LEEP with a Gaussian mixture on
  the PCA-reduced features in place of a source classifier, which
  contrastive pre-trainings do not have;
- ``nce``: NCE (Tran et al., ICCV 2019) of the target labels given the
  mixture's hard assignments (a cluster index stands in for the source
  label);
- ``hscore``: H-score (Bao et al., ICIP 2019);
- ``leep``: LEEP (Nguyen et al., ICML 2020), only with ``--source-head
  PREFIX``: a checkpoint that keeps its pre-training classifier
  (``PREFIX.weight``, ``PREFIX.bias``, e.g. a supervised ImageNet one); NCE
  then uses its argmax.

The features are the backbone's pooled features (``model.extract_feat``) of
the config's training set (its labelled subset, e.g. ``LabelFraction``),
read with the config's test pipeline, as ``feature_eval.py`` reads its kNN
bank. Formulas: ``mmctune.evaluation.functional.transferability``.

    # checkpoints into one config's backbone (their `backbone.` keys, or
    # --prefix module.encoder_q. for MoCo's own files)
    python tools/analysis_tools/rank_checkpoints.py CONFIG \\
        --checkpoints A.pth B.pth C.pth
    # the pre-trainings that configs name (model.backbone.init_cfg), e.g.
    # the paper's ResNet-50s on DTD
    python tools/analysis_tools/rank_checkpoints.py \\
        configs/baselines/ce_r50_moco_dtd.py \\
        configs/baselines/ce_r50_pirl_dtd.py ...

``--finetuned-acc`` (one per candidate) adds each score's Kendall tau and
Spearman rho with the accuracies the candidates reach when fine-tuned.
Prints a table and writes ``rank_checkpoints.json`` to ``--work-dir``.
"""
import argparse
import json
import os
import os.path as osp
import time

import numpy as np
import torch
from mmengine.config import Config

from mmctune.datasets import train_eval_loader_cfg
from mmctune.evaluation.functional import (extract_features, gmm_source_probs,
                                           h_score, leep, logme, nce)
from mmctune.models import build_model
from mmctune.models.utils import extract_state_dict, load_state_dict_strict
from mmctune.utils import register_all_modules, silence_known_warnings
from mmctune.utils.cfg_check import check_cfg_options
from mmctune.utils.checkpoint import (add_trust_argument, load_checkpoint,
                                      register_safe_loaders)
from mmctune.utils.dict_action import DictAction

SCORES = ('logme', 'nleep', 'nce', 'hscore')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'configs',
        nargs='+',
        help='one config (its dataset and model), or one per candidate')
    parser.add_argument(
        '--checkpoints',
        nargs='+',
        help='checkpoints whose backbone to load; without them each '
        'config\'s own pre-training (model.backbone.init_cfg) is a '
        'candidate')
    parser.add_argument(
        '--prefix',
        default='backbone.',
        help='the backbone\'s key prefix in --checkpoints')
    parser.add_argument('--names', nargs='+', help='names of the candidates')
    parser.add_argument(
        '--source-head',
        help='key prefix of a pre-training classifier in each checkpoint '
        '(e.g. head.fc.): adds LEEP')
    parser.add_argument(
        '--max-samples',
        type=int,
        help='use the first N training samples (in dataset order)')
    parser.add_argument(
        '--gmm-components-per-class',
        type=int,
        default=5,
        help='N-LEEP mixture components per target class (the reference '
        'code\'s 5)')
    parser.add_argument(
        '--pca-variance',
        type=float,
        default=0.8,
        help='N-LEEP: variance the PCA keeps (the reference code\'s 0.8)')
    parser.add_argument(
        '--sort-by', default='logme', help='score to sort the table by')
    parser.add_argument(
        '--finetuned-acc',
        type=float,
        nargs='+',
        help='fine-tuned accuracy of each candidate: adds rank correlations')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--work-dir', default=osp.join('work_dirs', 'rank_checkpoints'))
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    n = len(args.checkpoints) if args.checkpoints else len(args.configs)
    if args.checkpoints and len(args.configs) not in (1, n):
        parser.error(f'{len(args.configs)} configs for {n} checkpoints: give '
                     'one config, or one per checkpoint')
    if n < 2 and args.finetuned_acc:
        parser.error('rank correlations need two or more candidates')
    for flag, values in (('--names', args.names), ('--finetuned-acc',
                                                   args.finetuned_acc)):
        if values is not None and len(values) != n:
            parser.error(f'{flag}: {len(values)} values for {n} candidates')
    if args.sort_by not in SCORES + ('leep', ):
        parser.error(f'--sort-by must be one of {SCORES + ("leep", )}')
    if args.sort_by == 'leep' and not args.source_head:
        parser.error('--sort-by leep needs --source-head')
    return args


def candidates(args):
    """(name, config path, checkpoint or None) of each candidate."""
    if args.checkpoints:
        configs = args.configs * len(args.checkpoints) \
            if len(args.configs) == 1 else args.configs
        out = list(zip(args.checkpoints, configs, args.checkpoints))
    else:
        out = [(c, c, None) for c in args.configs]
    if args.names:
        out = [(name, c, k) for name, (_, c, k) in zip(args.names, out)]
    return out


def feature_loader_cfg(cfg):
    """The config's training set (its labelled subset) with the test
    pipeline, in order."""
    return train_eval_loader_cfg(
        cfg, batch_size=cfg.test_dataloader.batch_size)


def source_checkpoint(cfg, checkpoint):
    if checkpoint is not None:
        return checkpoint
    init_cfg = cfg.model.get('backbone', {}).get('init_cfg') or {}
    return init_cfg.get('checkpoint')


def build_encoder(cfg, checkpoint, prefix, device):
    """The config's model with the candidate's backbone: ``checkpoint``'s
    ``prefix`` keys (strictly), or the config's own ``init_cfg``."""
    if checkpoint is None and not (cfg.model.get('backbone',
                                                 {}).get('init_cfg') or {}):
        raise ValueError('the config names no pre-trained backbone '
                         '(model.backbone.init_cfg): give --checkpoints')
    model = build_model(cfg, pretrained=checkpoint is None)
    if checkpoint is not None:
        ckpt = load_checkpoint(checkpoint)
        load_state_dict_strict(
            model.backbone,
            extract_state_dict(ckpt, prefix),
            source=checkpoint)
    return model.to(device).eval()


def source_probs(checkpoint, head_prefix, feats):
    """Softmax of a pre-training classifier kept in ``checkpoint``."""
    if checkpoint is None:
        raise ValueError('--source-head: this candidate has no checkpoint '
                         'file')
    ckpt = load_checkpoint(checkpoint)
    sd = ckpt.get('state_dict', ckpt)
    prefix = head_prefix if head_prefix.endswith('.') else head_prefix + '.'
    if prefix + 'weight' not in sd:
        heads = sorted({
            k.rsplit('.', 1)[0]
            for k in sd if k.endswith('.weight') and sd[k].ndim == 2
        })
        raise KeyError(f'{checkpoint} has no {prefix}weight; its linear '
                       f'layers: {heads[:8]}')
    weight = sd[prefix + 'weight'].double()
    bias = sd.get(prefix + 'bias', torch.zeros(len(weight))).double()
    if weight.shape[1] != feats.shape[1]:
        raise ValueError(f'{prefix}weight takes {weight.shape[1]} features, '
                         f'the backbone gives {feats.shape[1]}')
    return torch.softmax(feats.double() @ weight.T + bias, dim=1).numpy()


def score_features(feats, labels, args, probs=None):
    """Every score of one candidate's features, and the seconds each
    took."""
    f = feats.double().numpy()
    y = labels.numpy()
    n_classes = len(np.unique(y))
    out, secs = {}, {}
    t = time.perf_counter()
    out['logme'] = logme(f, y)
    secs['logme'] = time.perf_counter() - t
    t = time.perf_counter()
    k = min(args.gmm_components_per_class * n_classes, len(y) - 1)
    theta = gmm_source_probs(f, k, args.pca_variance, args.seed)
    out['nleep'] = leep(theta, y)
    secs['nleep'] = time.perf_counter() - t
    hard = probs if probs is not None else theta
    out['nce'] = nce(hard.argmax(1), y)
    t = time.perf_counter()
    out['hscore'] = h_score(f, y)
    secs['hscore'] = time.perf_counter() - t
    if probs is not None:
        out['leep'] = leep(probs, y)
    return out, secs


def rank_correlations(scores, accuracies):
    """score -> Kendall tau and Spearman rho against the accuracies."""
    from scipy.stats import kendalltau, spearmanr
    out = {}
    for name in scores[0]:
        values = [s[name] for s in scores]
        out[name] = dict(
            kendall_tau=float(kendalltau(values, accuracies).statistic),
            spearman_rho=float(spearmanr(values, accuracies).statistic))
    return out


def main(argv=None):
    args = parse_args(argv)
    silence_known_warnings()
    for path in args.configs + (args.checkpoints or []):
        if '://' not in path and not osp.isfile(path):
            raise FileNotFoundError(f'{path} not found')
    register_safe_loaders(trust=args.trust_checkpoint)
    register_all_modules()
    from mmctune.engine.runner import Runner
    rows, labels0 = [], None
    for name, config, checkpoint in candidates(args):
        cfg = Config.fromfile(config)
        if args.cfg_options:
            check_cfg_options(cfg, args.cfg_options)
            cfg.merge_from_dict(args.cfg_options)
        model = build_encoder(cfg, checkpoint, args.prefix, args.device)
        loader = Runner.build_dataloader(feature_loader_cfg(cfg))
        feats, labels = extract_features(model, loader, args.max_samples)
        if labels0 is None:
            labels0, first = labels, name
        elif not torch.equal(labels, labels0):
            raise ValueError(f'{name} and {first} see different training '
                             'sets (their labels differ): rank candidates on '
                             'one dataset')
        probs = source_probs(
            source_checkpoint(cfg, checkpoint), args.source_head,
            feats) if args.source_head else None
        scores, secs = score_features(feats, labels, args, probs)
        print(f'{name}: {len(labels)} samples, {feats.shape[1]}-d features; ' +
              ', '.join(f'{k} {v:.4g}' for k, v in scores.items()))
        rows.append(
            dict(
                name=name,
                config=config,
                checkpoint=checkpoint,
                scores=scores,
                seconds=secs))
        del model

    names = list(rows[0]['scores'])
    for key in names:  # rank 1: the highest score
        order = sorted(range(len(rows)), key=lambda i: -rows[i]['scores'][key])
        for rank, i in enumerate(order, 1):
            rows[i].setdefault('ranks', {})[key] = rank
    if args.finetuned_acc:
        for row, acc in zip(rows, args.finetuned_acc):
            row['finetuned_acc'] = acc
    ordered = sorted(rows, key=lambda r: -r['scores'][args.sort_by])
    head = ['rank', 'candidate'
            ] + names + (['fine-tuned acc'] if args.finetuned_acc else [])
    print('| ' + ' | '.join(head) + ' |')
    print('|' + '---|' * len(head))
    for rank, row in enumerate(ordered, 1):
        cells = [str(rank), row['name']] + [
            f'{row["scores"][k]:.4f}' for k in names
        ] + ([f'{row["finetuned_acc"]:.2f}'] if args.finetuned_acc else [])
        print('| ' + ' | '.join(cells) + ' |')
    result = dict(
        sorted_by=args.sort_by,
        samples=len(labels0),
        candidates=rows,
        settings=dict(
            gmm_components_per_class=args.gmm_components_per_class,
            pca_variance=args.pca_variance,
            max_samples=args.max_samples,
            source_head=args.source_head,
            seed=args.seed))
    if args.finetuned_acc:
        corr = rank_correlations([r['scores'] for r in rows],
                                 args.finetuned_acc)
        result['rank_correlation'] = corr
        print('rank correlation with the fine-tuned accuracy: ' + '; '.join(
            f'{k} tau {v["kendall_tau"]:.3f} rho {v["spearman_rho"]:.3f}'
            for k, v in corr.items()))
    os.makedirs(args.work_dir, exist_ok=True)
    out = osp.join(args.work_dir, 'rank_checkpoints.json')
    with open(out, 'w') as f:
        json.dump(result, f, indent=2)
    print(f'written: {out}')
    return result


if __name__ == '__main__':
    main()
