"""Weight-space ensembles of fine-tuned checkpoints: WiSE-FT and model
soups (the library behind ``tools/model_converters/weight_ensemble.py`` and
the fine-tuning benchmark's ``ensemble`` stage).

``WiSE-FT`` (Wortsman et al., *Robust fine-tuning of zero-shot models*,
CVPR 2022): ``theta_alpha = (1 - alpha) theta_0 + alpha theta_1``,
``theta_0`` the pre-trained and ``theta_1`` the fine-tuned weights, for each
``alpha`` of a grid; the best on the validation split is kept. A
contrastive pre-training has no classifier for the target classes, so only
the backbone is interpolated; the head is the fine-tuned one.

Model soups (Wortsman et al., *Model soups*, ICML 2022): the runs of one
hyper-parameter sweep averaged, uniformly or greedily (Recipe 1: the
ingredients sorted by their own validation score, each kept if the soup
with it scores strictly higher).

BN statistics of a mixed model are recomputed from training batches
(``recompute_bn``, PyTorch's ``swa_utils.update_bn``) before it is scored.
"""
import copy
import itertools
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch.nn.modules.batchnorm import _BatchNorm

from mmctune.datasets import train_eval_loader_cfg
from mmctune.models import build_model
from mmctune.models.utils import (extract_state_dict, load_state_dict_strict,
                                  train_only_prefixes)
from mmctune.utils.checkpoint import load_checkpoint, trusted

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
def holdout_val(cfg, holdout: float, seed: int) -> List[str]:
    """Make ``cfg.val_dataloader`` the held-out ``holdout`` of each class of
    the training images (the validation pipeline, in order). Returns
    warnings."""
    notes = []
    train = train_eval_loader_cfg(cfg, pipeline='val', whole_set=True)
    cfg.val_dataloader.dataset = dict(
        type='LabelFraction',
        fraction=1.0,
        seed=seed,
        holdout=holdout,
        split='val',
        dataset=train['dataset'])
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


def load_weights(path: str,
                 trust_checkpoint: bool = False) -> Tuple[StateDict, dict]:
    """(state dict, meta) of a checkpoint file, loaded safely
    (:mod:`mmctune.utils.checkpoint`; ``trust_checkpoint``: in full)."""
    ckpt = load_checkpoint(path, trust_checkpoint=trust_checkpoint)
    meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    return extract_state_dict(ckpt), meta or {}


class Validation:
    """The config's model, its validation loop (loader + evaluator, no
    hooks), the training batches for BN statistics, and its test loop
    (``test``) for a chosen state dict.

    Args:
        cfg: a config with ``model``, ``train_dataloader``,
            ``val_dataloader`` and ``val_evaluator`` (``test_dataloader`` and
            ``test_evaluator`` for ``test``).
        metric: the validation metric to maximise (None: ``accuracy/top1``
            if the evaluator gives it, else its first).
        bn_batches: training batches to recompute BN statistics of a mixed
            model from (0: none; also 0 when the model has no BN layer that
            trains).
    """

    def __init__(self,
                 cfg,
                 metric: Optional[str],
                 bn_batches: int,
                 device: str,
                 seed: int = 0):
        from mmengine.evaluator import Evaluator

        from mmctune.engine.runner import Runner
        self.cfg = cfg
        self.device = device
        self.metric = metric
        self.seed = seed
        self._test = None
        self.model = build_model(cfg).to(device).eval()
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
    def evaluate(self, loader=None, evaluator=None) -> dict:
        """The metrics of the loaded model on ``loader`` (default: the
        validation loader) with ``evaluator``."""
        loader = loader or self.val_loader
        evaluator = evaluator or self.evaluator
        self.model.eval()
        for data in loader:
            outputs = self.model.val_step(data)
            evaluator.process(data_samples=outputs, data_batch=data)
        return evaluator.evaluate(len(loader.dataset))

    def test(self, state_dict: StateDict, source: str) -> dict:
        """The metrics of ``state_dict`` (as written: no BN recompute) on
        the config's ``test_dataloader`` with its ``test_evaluator``."""
        from mmengine.evaluator import Evaluator

        from mmctune.engine.runner import Runner
        if self._test is None:
            if not self.cfg.get('test_dataloader') or not self.cfg.get(
                    'test_evaluator'):
                raise ValueError('the config has no test_dataloader and '
                                 'test_evaluator to test on')
            loader = Runner.build_dataloader(
                self.cfg.test_dataloader, seed=self.seed)
            evaluator = Evaluator(self.cfg.test_evaluator)
            evaluator.dataset_meta = getattr(loader.dataset, 'metainfo', None)
            self._test = (loader, evaluator)
        self.load(state_dict, source)
        return self.evaluate(*self._test)

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


def pretrained_backbone(cfg,
                        path: Optional[str],
                        prefix: str,
                        trust_checkpoint: bool = False) -> StateDict:
    """The pre-trained backbone weights: the config's ``init_cfg`` (or
    ``path`` under ``prefix``), loaded strictly by building the model and
    initialising it (safely; ``trust_checkpoint``: in full)."""
    cfg = copy.deepcopy(cfg)
    backbone = cfg.model.get('backbone', {})
    if path is not None:
        backbone['init_cfg'] = dict(
            type='Pretrained', checkpoint=path, prefix=prefix)
    init_cfg = backbone.get('init_cfg')
    if not init_cfg or init_cfg.get('type') != 'Pretrained':
        raise ValueError(
            'the config names no pre-trained backbone (model.backbone.'
            'init_cfg of type Pretrained): give it with --pretrained CKPT '
            '[--pretrained-prefix backbone.]')
    with trusted(trust_checkpoint):
        model = build_model(cfg, pretrained=True)
    return {
        k: v.detach().clone()
        for k, v in model.backbone.state_dict().items()
    }


# ----------------------------------------------------------------------
# the two recipes, chosen on the validation split
# ----------------------------------------------------------------------
def wise_ft(val: Validation,
            theta0: StateDict,
            finetuned: StateDict,
            alphas: Sequence[float] = DEFAULT_ALPHAS,
            log: Callable[[str], None] = print) -> dict:
    """WiSE-FT: every ``alpha`` scored on the validation split (BN
    statistics recomputed for 0 < alpha < 1); the best kept (ties: the
    first).

    Args:
        theta0: the pre-trained backbone (keys without ``backbone.``).
        finetuned: the fine-tuned model's state dict.

    Returns:
        dict(alpha, score, state_dict: the chosen model's, candidates: one
        dict(alpha, metrics) per alpha)
    """
    candidates, best = [], None
    for alpha in alphas:
        sd = interpolate(theta0, finetuned, alpha)
        score, metrics, sd = val.score(
            sd, mixed=0 < alpha < 1, source=f'alpha={alpha:g}')
        candidates.append(dict(alpha=alpha, metrics=metrics))
        log(f'WiSE-FT alpha={alpha:g}: {val.metric} {score:.4f}')
        if best is None or score > best[0]:
            best = (score, alpha, sd)
    score, alpha, sd = best
    return dict(alpha=alpha, score=score, state_dict=sd, candidates=candidates)


def soups(val: Validation,
          state_dicts: Sequence[StateDict],
          names: Sequence[str],
          log: Callable[[str], None] = print) -> dict:
    """The uniform and the greedy soup of ``state_dicts`` (runs of one
    config), each ingredient and soup scored on the validation split.

    Returns:
        dict(ingredients: one dict(name, score) each,
        uniform: dict(score, state_dict),
        greedy: dict(kept: indices in the order added, score, trials,
        state_dict))
    """
    check_same_keys(state_dicts, names)
    scores = []
    for i, (name, sd) in enumerate(zip(names, state_dicts)):
        score, _, _ = val.score(sd, mixed=False, source=name)
        scores.append(score)
        log(f'ingredient #{i} {name}: {val.metric} {score:.4f}')
    u_score, _, uniform = val.score(
        uniform_soup(state_dicts), mixed=True, source='uniform soup')
    log(f'uniform soup: {val.metric} {u_score:.4f}')

    def evaluate(sd):
        return val.score(sd, mixed=True, source='soup')[0]

    greedy, kept, trials = greedy_soup(state_dicts, scores, evaluate, log)
    # the kept soup once more, for its recomputed BN statistics
    g_score, _, greedy = val.score(
        greedy, mixed=len(kept) > 1, source='greedy soup')
    return dict(
        ingredients=[dict(name=n, score=s) for n, s in zip(names, scores)],
        uniform=dict(score=u_score, state_dict=uniform),
        greedy=dict(
            kept=kept, score=g_score, trials=trials, state_dict=greedy))
