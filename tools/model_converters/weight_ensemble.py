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
candidate's validation metrics.
"""
import argparse
import copy
import itertools
import json
import os
import os.path as osp
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.runner.checkpoint import CheckpointLoader
from torch.nn.modules.batchnorm import _BatchNorm

from mmctune import compat
from mmctune.models.utils import (extract_state_dict, load_state_dict_strict,
                                  train_only_prefixes)
from mmctune.utils import (init_weights_quietly, register_all_modules,
                           silence_known_warnings)
from mmctune.utils.cfg_check import check_cfg_options

StateDict = Dict[str, torch.Tensor]
DEFAULT_ALPHAS = [round(0.1 * i, 1) for i in range(11)]


# ----------------------------------------------------------------------
# weight arithmetic
# ----------------------------------------------------------------------
def _mixable(value) -> bool:
    return torch.is_tensor(value) and value.is_floating_point()


def check_same_keys(state_dicts: Sequence[StateDict],
                    names: Sequence[str]) -> None:
    """Every state dict has the keys and shapes of the first, or ValueError
    naming the differences."""
    ref = state_dicts[0]
    for sd, name in zip(state_dicts[1:], names[1:]):
        missing = sorted(set(ref) - set(sd))
        extra = sorted(set(sd) - set(ref))
        shapes = sorted(
            k for k in set(ref) & set(sd)
            if tuple(ref[k].shape) != tuple(sd[k].shape))
        if missing or extra or shapes:
            raise ValueError(
                f'{name} does not have the weights of {names[0]}: '
                f'missing {missing[:5]}, extra {extra[:5]}, other shapes '
                f'{shapes[:5]}. Ensembles need runs of one config.')


def interpolate(pretrained_backbone: StateDict,
                finetuned: StateDict,
                alpha: float,
                prefix: str = 'backbone.') -> StateDict:
    """WiSE-FT: ``(1 - alpha) * pre-trained + alpha * fine-tuned`` for
    every floating-point entry of the backbone (weights and BN statistics),
    the fine-tuned value for everything else (the head, integer counters).

    Args:
        pretrained_backbone: backbone keys without ``prefix``.
        finetuned: a whole model's state dict (``prefix`` + backbone keys).
    """
    missing = [
        k for k in finetuned
        if k.startswith(prefix) and k[len(prefix):] not in pretrained_backbone
    ]
    if missing:
        raise KeyError(f'the pre-trained backbone lacks {len(missing)} keys '
                       f'of the fine-tuned one, e.g. {missing[:5]}')
    out = {}
    for key, value in finetuned.items():
        if key.startswith(prefix) and _mixable(value):
            theta0 = pretrained_backbone[key[len(prefix):]].to(value)
            if theta0.shape != value.shape:
                raise ValueError(f'{key}: pre-trained shape '
                                 f'{tuple(theta0.shape)}, fine-tuned '
                                 f'{tuple(value.shape)}')
            out[key] = torch.lerp(theta0, value, alpha)
        else:
            out[key] = value.clone() if torch.is_tensor(value) else value
    return out


def uniform_soup(state_dicts: Sequence[StateDict]) -> StateDict:
    """The mean of every floating-point entry; other entries (integer
    counters) are the first state dict's."""
    first = state_dicts[0]
    out = {}
    for key, value in first.items():
        if _mixable(value):
            out[key] = torch.stack([
                sd[key].to(torch.float64) for sd in state_dicts
            ]).mean(0).to(value)
        else:
            out[key] = value.clone() if torch.is_tensor(value) else value
    return out


def greedy_soup(
    state_dicts: Sequence[StateDict],
    scores: Sequence[float],
    evaluate: Callable[[StateDict], float],
    log: Callable[[str],
                  None] = print) -> Tuple[StateDict, List[int], List[dict]]:
    """Greedy soup (Wortsman et al. 2022, Recipe 1): ingredients sorted by
    their own score, best first; each is kept if the uniform soup of the
    kept ones and it scores strictly higher than the soup so far.

    Args:
        scores: each ingredient's own validation score.
        evaluate: the validation score of a state dict (of a soup).

    Returns:
        (the soup, the indices kept in the order added, one record per
        candidate tried: indices and score)
    """
    order = sorted(range(len(state_dicts)), key=lambda i: -scores[i])
    kept = [order[0]]
    best = scores[order[0]]
    soup = state_dicts[order[0]]
    trials = [dict(ingredients=list(kept), score=best)]
    log(f'greedy soup: start from #{order[0]} ({best:.4f})')
    for i in order[1:]:
        candidate = uniform_soup([state_dicts[j] for j in kept + [i]])
        score = evaluate(candidate)
        trials.append(dict(ingredients=kept + [i], score=score))
        added = score > best
        log(f'greedy soup: + #{i} -> {score:.4f} '
            f'({"kept" if added else "left out"}; best {best:.4f})')
        if added:
            kept.append(i)
            best, soup = score, candidate
    return soup, kept, trials


@torch.no_grad()
def recompute_bn(model: torch.nn.Module,
                 batches: Sequence[dict],
                 forward: Optional[Callable] = None) -> List[str]:
    """Recompute the running statistics of the BN layers that train.

    The model is put in train mode (so ``frozen_stages`` / ``norm_eval``
    layers stay in eval mode and keep theirs); each BN layer in train mode
    is reset, its momentum set to None (a cumulative average), and the
    batches are passed forward without gradient (PyTorch's
    ``torch.optim.swa_utils.update_bn``). Layers the forward pass does not
    reach (a train-only projector) get their statistics back. The model is
    left in eval mode.

    Args:
        batches: what the model's data preprocessor takes (dataloader
            items).
        forward: ``forward(model, inputs)``; defaults to
            ``model.extract_feat``.

    Returns:
        The names of the recomputed layers.
    """
    model.train()
    layers = {
        name: m
        for name, m in model.named_modules()
        if isinstance(m, _BatchNorm) and m.training and m.track_running_stats
    }
    saved = {
        name: (m.momentum,
               copy.deepcopy({
                   k: v.clone()
                   for k, v in m.named_buffers(recurse=False)
               }))
        for name, m in layers.items()
    }
    reached = set()
    hooks = [
        m.register_forward_pre_hook(
            lambda mod, inp, name=name: reached.add(name))
        for name, m in layers.items()
    ]
    for m in layers.values():
        m.reset_running_stats()
        m.momentum = None
    try:
        for data in batches:
            data = model.data_preprocessor(data, False)
            if forward is not None:
                forward(model, data['inputs'])
            else:
                model.extract_feat(data['inputs'])
    finally:
        for h in hooks:
            h.remove()
        for name, m in layers.items():
            momentum, buffers = saved[name]
            m.momentum = momentum
            if name not in reached:
                for k, v in buffers.items():
                    getattr(m, k).copy_(v)
        model.eval()
    return sorted(reached)


# ----------------------------------------------------------------------
# the config's data, model and validation
# ----------------------------------------------------------------------
def inner_dataset(dataset):
    """The dataset that holds the pipeline, under wrappers
    (``LabelFraction``)."""
    while dataset.get('type') == 'LabelFraction' or (
            'dataset' in dataset and 'pipeline' not in dataset):
        dataset = dataset.dataset
    return dataset


def holdout_val(cfg, holdout: float, seed: int) -> List[str]:
    """Make ``cfg.val_dataloader`` the held-out ``holdout`` of each class of
    the training images (test pipeline). Returns warnings."""
    notes = []
    train = copy.deepcopy(inner_dataset(cfg.train_dataloader.dataset))
    train.pipeline = copy.deepcopy(
        inner_dataset(cfg.val_dataloader.dataset).pipeline)
    cfg.val_dataloader.dataset = dict(
        type='LabelFraction',
        fraction=1.0,
        seed=seed,
        holdout=holdout,
        split='val',
        dataset=train)
    cfg.val_dataloader.sampler = dict(type='DefaultSampler', shuffle=False)
    given = cfg.train_dataloader.dataset
    if not (given.get('type') == 'LabelFraction' and given.get('holdout')
            == holdout and given.get('seed', 0) == seed):
        notes.append(
            'the config\'s training set is not a LabelFraction with '
            f'holdout={holdout:g}, seed={seed}: it may hold the images now '
            'held out for validation, and checkpoints trained with it may '
            'have seen them (train them with that LabelFraction, '
            'docs/evaluation.md). BN statistics come from the training set '
            'as the config defines it.')
    return notes


def load_weights(path: str) -> Tuple[StateDict, dict]:
    """(state dict, meta) of a checkpoint file."""
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    return extract_state_dict(ckpt), meta or {}


class Validation:
    """The config's model, its validation loop (loader + evaluator, no
    hooks) and the training batches for BN statistics."""

    def __init__(self,
                 cfg,
                 metric: Optional[str],
                 bn_batches: int,
                 device: str,
                 seed: int = 0):
        from mmengine.evaluator import Evaluator

        from mmctune.engine.runner import Runner
        from mmctune.registry import MODELS
        self.device = device
        self.metric = metric
        self.seed = seed
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.get('backbone', {}).pop('init_cfg', None)
        if 'data_preprocessor' not in model_cfg and 'data_preprocessor' in cfg:
            model_cfg.data_preprocessor = cfg.data_preprocessor
        self.model = MODELS.build(model_cfg).to(device).eval()
        self.may_miss = train_only_prefixes(self.model)
        self.val_loader = Runner.build_dataloader(
            cfg.val_dataloader, seed=seed)
        self.evaluator = Evaluator(cfg.val_evaluator)
        self.evaluator.dataset_meta = getattr(self.val_loader.dataset,
                                              'metainfo', None)
        self.model.train()
        self.has_bn = any(
            isinstance(m, _BatchNorm) and m.training
            for m in self.model.modules())
        self.model.eval()
        self.bn_batches = bn_batches if self.has_bn else 0
        self.train_loader = Runner.build_dataloader(
            cfg.train_dataloader, seed=seed) if self.bn_batches else None

    def training_batches(self):
        """The first ``bn_batches`` batches of the training loader, the same
        (order and augmentation) at every call: the sampler and the
        workers are seeded, and so is the main process here."""
        from mmengine.runner import set_random_seed
        set_random_seed(self.seed)
        return itertools.islice(self.train_loader, self.bn_batches)

    def load(self, state_dict: StateDict, source: str) -> None:
        load_state_dict_strict(
            self.model, state_dict, source=source, may_miss=self.may_miss)

    @torch.no_grad()
    def evaluate(self) -> dict:
        self.model.eval()
        for data in self.val_loader:
            outputs = self.model.val_step(data)
            self.evaluator.process(data_samples=outputs, data_batch=data)
        return self.evaluator.evaluate(len(self.val_loader.dataset))

    def score(self, state_dict: StateDict, mixed: bool,
              source: str) -> Tuple[float, dict, StateDict]:
        """(the metric, all metrics, the state dict with recomputed BN
        statistics when ``mixed``) of a candidate."""
        self.load(state_dict, source)
        if mixed and self.bn_batches:
            recompute_bn(self.model, self.training_batches())
            own = self.model.state_dict()
            state_dict = {
                k: own[k].detach().cpu().clone() if k in own else v
                for k, v in state_dict.items()
            }
        metrics = self.evaluate()
        if self.metric is None:
            self.metric = 'accuracy/top1' if 'accuracy/top1' in metrics \
                else next(iter(metrics))
        if self.metric not in metrics:
            raise KeyError(f'--metric {self.metric}: the evaluator gives '
                           f'{sorted(metrics)}')
        return float(metrics[self.metric]), metrics, state_dict


def pretrained_backbone(cfg, path: Optional[str], prefix: str) -> StateDict:
    """The pre-trained backbone weights: the config's ``init_cfg`` (or
    ``path`` under ``prefix``), loaded strictly by building the model and
    initialising it."""
    from mmctune.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    backbone = model_cfg.get('backbone', {})
    if path is not None:
        backbone['init_cfg'] = dict(
            type='Pretrained', checkpoint=path, prefix=prefix)
    init_cfg = backbone.get('init_cfg')
    if not init_cfg or init_cfg.get('type') != 'Pretrained':
        raise ValueError(
            'the config names no pre-trained backbone (model.backbone.'
            'init_cfg of type Pretrained): give it with --pretrained CKPT '
            '[--pretrained-prefix backbone.]')
    if 'data_preprocessor' not in model_cfg and 'data_preprocessor' in cfg:
        model_cfg.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(model_cfg)
    init_weights_quietly(model)
    return {
        k: v.detach().clone()
        for k, v in model.backbone.state_dict().items()
    }


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
    compat.apply_runtime_fixes()
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
    rows, record = [], dict(config=args.config, command=args.command)

    if args.command == 'wise-ft':
        finetuned, meta = load_weights(args.finetuned)
        theta0 = pretrained_backbone(cfg, args.pretrained,
                                     args.pretrained_prefix)
        candidates, best = [], None
        for alpha in args.alphas:
            sd = interpolate(theta0, finetuned, alpha)
            score, metrics, sd = val.score(
                sd, mixed=0 < alpha < 1, source=f'alpha={alpha:g}')
            rows.append((f'alpha={alpha:g}', score))
            candidates.append(dict(alpha=alpha, metrics=metrics))
            print(f'WiSE-FT alpha={alpha:g}: {val.metric} {score:.4f}')
            if best is None or score > best[0]:
                best = (score, alpha, sd)
        score, alpha, out_sd = best
        record.update(
            finetuned=args.finetuned,
            pretrained=args.pretrained or 'the config\'s init_cfg',
            candidates=candidates,
            chosen=dict(alpha=alpha, score=score))
        chosen = f'alpha={alpha:g}'
    else:
        state_dicts, metas = [], []
        for path in args.checkpoints:
            sd, meta = load_weights(path)
            state_dicts.append(sd)
            metas.append(meta)
        check_same_keys(state_dicts, args.checkpoints)
        meta = metas[0]
        scores = []
        for i, (path, sd) in enumerate(zip(args.checkpoints, state_dicts)):
            score, _, _ = val.score(sd, mixed=False, source=path)
            scores.append(score)
            rows.append((f'#{i} {path}', score))
            print(f'ingredient #{i} {path}: {val.metric} {score:.4f}')

        def evaluate(sd):
            return val.score(sd, mixed=True, source='soup')[0]

        u_score, _, uniform = val.score(
            uniform_soup(state_dicts), mixed=True, source='uniform soup')
        rows.append(('uniform soup', u_score))
        print(f'uniform soup: {val.metric} {u_score:.4f}')
        greedy, kept, trials = greedy_soup(state_dicts, scores, evaluate)
        # the kept soup once more, for its recomputed BN statistics
        g_score, _, greedy = val.score(
            greedy, mixed=len(kept) > 1, source='greedy soup')
        rows.append((f'greedy soup {kept}', g_score))
        record.update(
            ingredients=[
                dict(checkpoint=p, score=s)
                for p, s in zip(args.checkpoints, scores)
            ],
            uniform=dict(score=u_score),
            greedy=dict(kept=kept, score=g_score, trials=trials),
            chosen=args.recipe)
        out_sd = greedy if args.recipe == 'greedy' else uniform
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
