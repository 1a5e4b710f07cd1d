"""Strict loading of pre-trained weights through ``init_cfg``.

mmengine's ``Pretrained`` initializer loads non-strictly: a
checkpoint whose keys carry the wrong prefix loads nothing, prints a warning
among hundreds of log lines, and fine-tuning silently starts from random
weights. In the ``mmctune`` scope, ``init_cfg=dict(type='Pretrained', ...)``
builds :class:`Pretrained` below instead, which fails loudly.

It keeps the name ``Pretrained`` on purpose: mmengine's
``BaseModule.init_weights`` applies initializers of that name *after* the
children's own initialisation, so the loaded weights are not overwritten.
"""
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info

from mmctune.registry import WEIGHT_INITIALIZERS
from mmctune.utils.checkpoint import load_checkpoint

# Counters, not weights: checkpoints written by old PyTorch (e.g. the 2017
# torchvision ResNet-50) have none; the module keeps its own.
IGNORED_MISSING = ('num_batches_tracked', )


class CheckpointMismatchError(KeyError):
    """A checkpoint does not fit the module it should initialise."""

    def __str__(self):  # KeyError would repr() the multi-line message
        return str(self.args[0])


def _summarise(keys: Sequence[str], limit: int = 10) -> str:
    keys = sorted(keys)
    more = f' ... and {len(keys) - limit} more' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def _top_prefixes(keys: Sequence[str], depth: int = 2) -> List[str]:
    found = []
    for key in keys:
        prefix = '.'.join(key.split('.')[:depth]) + '.'
        if prefix not in found:
            found.append(prefix)
    return found[:8]


def extract_state_dict(
    checkpoint: dict,
    prefix: Optional[str] = None,
    revise_keys: Sequence[Tuple[str, str]] = ()
) -> dict:
    """Take the weights out of a loaded checkpoint.

    Uses ``checkpoint['state_dict']`` when present (mmengine, MoCo,
    torchvision-style checkpoints), keeps only the keys under ``prefix``
    (stripped), then applies the ``(pattern, replacement)`` regexes of
    ``revise_keys`` in order.
    """
    if not isinstance(checkpoint, dict):
        raise TypeError(f'expected a checkpoint dict, got {type(checkpoint)}')
    state_dict = checkpoint.get('state_dict', checkpoint)
    if prefix:
        if not prefix.endswith('.'):
            prefix += '.'
        picked = {
            k[len(prefix):]: v
            for k, v in state_dict.items() if k.startswith(prefix)
        }
        if not picked:
            raise CheckpointMismatchError(
                f'no key of the checkpoint starts with prefix "{prefix}"; '
                f'its keys start with: {_top_prefixes(list(state_dict))}')
        state_dict = picked
    for pattern, repl in revise_keys:
        state_dict = {
            re.sub(pattern, repl, k): v
            for k, v in state_dict.items()
        }
    return state_dict


def train_only_prefixes(model: nn.Module) -> List[str]:
    """State-dict prefixes of the parts of ``model`` that prediction does
    not use, as its modules declare them in a ``TRAIN_ONLY`` class attribute
    (names of their sub-modules or buffers): a head's projector, a frozen
    reference model, a momentum encoder and its queues."""
    prefixes = []
    for name, module in model.named_modules():
        for part in type(module).__dict__.get('TRAIN_ONLY', ()):
            prefixes.append(f'{name}.{part}' if name else part)
    return prefixes


def _prefix_shift(own: Sequence[str], given: Sequence[str]):
    """How the checkpoint's keys relate to the module's by a prefix:
    ``('strip', p)`` if most module keys appear in the checkpoint as ``p +
    key``, ``('add', p)`` if most checkpoint keys appear in the module as
    ``p + key`` (a backbone's weights given to a whole classifier), else
    None. BN counters do not count (old checkpoints lack them)."""
    own = [k for k in own if not k.endswith(IGNORED_MISSING)]
    given = [k for k in given if not k.endswith(IGNORED_MISSING)]

    def best_prefix(keys, others):
        others, counts = set(others), {}
        for key in keys:
            parts = key.split('.')
            for i in range(1, len(parts)):
                if '.'.join(parts[i:]) in others:
                    prefix = '.'.join(parts[:i]) + '.'
                    counts[prefix] = counts.get(prefix, 0) + 1
        return max(counts.items(), key=lambda kv: kv[1], default=(None, 0))

    prefix, n = best_prefix(given, own)
    if prefix and n >= 0.8 * len(own):
        return 'strip', prefix
    prefix, n = best_prefix(own, given)
    if prefix and n >= 0.8 * len(given):
        return 'add', prefix
    return None


_RESNET_DEPTHS = {
    ('basic', (2, 2, 2, 2)): 18,
    ('basic', (3, 4, 6, 3)): 34,
    ('bottleneck', (3, 4, 6, 3)): 50,
    ('bottleneck', (3, 4, 23, 3)): 101,
    ('bottleneck', (3, 8, 36, 3)): 152,
}


def _resnet_name(keys: Sequence[str]) -> Optional[str]:
    """'ResNet-50' and the like, read off ResNet keys (blocks per stage and
    block type), where the keys are a ResNet's."""
    blocks, bottleneck = {}, False
    for key in keys:
        m = re.search(r'(?:^|\.)layer([1-4])\.(\d+)\.conv(\d)\.', key)
        if m:
            stage, block, conv = map(int, m.groups())
            blocks[stage] = max(blocks.get(stage, 0), block + 1)
            bottleneck |= conv == 3
    if len(blocks) != 4:
        return None
    shape = tuple(blocks[i] for i in range(1, 5))
    depth = _RESNET_DEPTHS.get(
        ('bottleneck' if bottleneck else 'basic', shape))
    return (f'ResNet-{depth}'
            if depth else f'a ResNet with {"-".join(map(str, shape))} '
            f'{"bottleneck" if bottleneck else "basic"} blocks')


def _diagnose(own: dict,
              given: dict,
              missing: list,
              mismatched: list,
              prefix: Optional[str] = None):
    """One line on why ``given`` (the checkpoint's keys under ``prefix``)
    does not fit: a prefix to set, or another architecture (with the two
    ResNets named where they are)."""
    shift = _prefix_shift(list(own), list(given))
    if shift and shift[0] == 'strip':
        full = (prefix or '') + shift[1]
        return (f'The checkpoint\'s keys carry the prefix "{full}" that '
                f'the model\'s lack: set `prefix="{full}"` (MoCo: '
                '"module.encoder_q.", an mmctune/mmpretrain classifier: '
                '"backbone."), or convert the checkpoint with '
                'tools/model_converters/.')
    if shift and shift[0] == 'add':
        return (f'The checkpoint holds only the part under "{shift[1]}" of '
                'this model (e.g. a backbone): load it into that part, '
                f'e.g. model.backbone.init_cfg=dict(type=\'Pretrained\', '
                'checkpoint=...) for a backbone.')
    theirs, ours = _resnet_name(list(given)), _resnet_name(list(own))
    if theirs and ours and theirs != ours:
        return (f'The checkpoint is of another architecture: {theirs}, and '
                f'the model is {ours}. Use a config of the checkpoint\'s '
                'network, or a checkpoint of this one.')
    found = len(own) - len(missing)
    if found >= len(own) // 2 or mismatched:
        return (f'The checkpoint is of another architecture: its key names '
                f'match ({found} of the model\'s {len(own)} keys are in it) '
                f'but {len(missing)} keys are missing and {len(mismatched)} '
                'shapes differ (another depth, width or number of classes). '
                'Use a config of the checkpoint\'s network, or a checkpoint '
                'of this one.')
    return ('Set `prefix` (e.g. "module.encoder_q." for MoCo, "backbone." '
            'for an mmctune/mmpretrain classifier) or convert the checkpoint '
            'with tools/model_converters/.')


def load_state_dict_strict(module: nn.Module,
                           state_dict: dict,
                           source: str = 'checkpoint',
                           ignored_missing: Sequence[str] = IGNORED_MISSING,
                           may_miss: Sequence[str] = (),
                           hint: Optional[str] = None,
                           prefix: Optional[str] = None,
                           may_miss_what: str = 'parts not used to predict'):
    """Load ``state_dict`` into ``module``; every key of the module must be
    found with the right shape, except keys under the ``may_miss`` names
    (``'head.projector'``: that module's keys; reported in the log and left
    as they are; ``may_miss_what`` says what they are in the log). ``hint``
    is added to the advice that ends the error;
    ``prefix`` is the prefix ``state_dict`` was taken under, for that
    advice.

    Keys of the checkpoint that the module lacks (a MoCo projection head
    ``fc.*``, a classifier) are reported in the log and skipped.

    Raises:
        CheckpointMismatchError: naming the missing keys and the keys whose
            shapes differ.
    """
    own = module.state_dict()
    missing = [
        k for k in own
        if k not in state_dict and not k.endswith(tuple(ignored_missing))
    ]
    may = [
        k for k in missing
        if any(k == p or k.startswith(p + '.') for p in may_miss)
    ]
    missing = [k for k in missing if k not in may]
    mismatched = [
        f'{k} (checkpoint {tuple(state_dict[k].shape)}, '
        f'model {tuple(own[k].shape)})' for k in own
        if k in state_dict and state_dict[k].shape != own[k].shape
    ]
    if missing or mismatched:
        lines = [f'{source} does not fit {type(module).__name__}:']
        if missing:
            lines.append(f'missing keys ({len(missing)} of {len(own)}): '
                         f'{_summarise(missing)}')
            lines.append('keys the checkpoint has: '
                         f'{_summarise(list(state_dict))}')
        if mismatched:
            lines.append(f'shape mismatch: {_summarise(mismatched)}')
        lines.append(_diagnose(own, state_dict, missing, mismatched, prefix))
        if hint:
            lines.append(hint)
        raise CheckpointMismatchError('\n'.join(lines))
    if may:
        print_log(
            f'{source}: {len(may)} keys of {may_miss_what} are '
            f'not in the checkpoint and keep their initial values: '
            f'{_summarise(may)}',
            logger='current')
    unexpected = [k for k in state_dict if k not in own]
    if unexpected:
        print_log(
            f'{source}: {len(unexpected)} keys not used by '
            f'{type(module).__name__}: {_summarise(unexpected)}',
            logger='current')
    full = {k: state_dict.get(k, v) for k, v in own.items()}
    module.load_state_dict(full, strict=True)


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class Pretrained:
    """Initialise a module from a checkpoint, strictly.

    Args:
        checkpoint (str): Path or URL of the checkpoint (anything mmengine's
            ``CheckpointLoader`` reads: a file, ``http(s)://``,
            ``torchvision://resnet50``, ...), loaded safely
            (:func:`mmctune.utils.checkpoint.load_checkpoint`).
        prefix (str, optional): Load only the keys under this prefix, with
            the prefix stripped: ``'module.encoder_q.'`` for a published
            MoCo v1/v2 checkpoint, ``'backbone.'`` for an mmctune or
            mmpretrain classifier. Defaults to None (all keys).
        revise_keys (list[tuple[str, str]]): ``(regex, replacement)`` pairs
            applied to the keys after ``prefix``. Defaults to none.
        map_location (str): Defaults to ``'cpu'``.

    Every parameter and buffer of the module must be found in the checkpoint
    with its shape (BN's ``num_batches_tracked`` counters excepted), but
    those a module declares new in its ``new_parameters`` attribute (a
    tuple of names, e.g. the prompts of
    :class:`~mmctune.models.backbones.PromptedViT`), which are logged and
    keep their initial values; otherwise :class:`CheckpointMismatchError`
    names the missing keys.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 revise_keys: Sequence[Tuple[str, str]] = (),
                 map_location: str = 'cpu'):
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.revise_keys = [tuple(pair) for pair in revise_keys]
        self.map_location = map_location

    def __call__(self, module: nn.Module):
        where = f'{self.prefix} in ' if self.prefix else ''
        print_log(
            f'load {where}{self.checkpoint} into {type(module).__name__}',
            logger='current')
        local = osp.expanduser(self.checkpoint)
        if '://' not in self.checkpoint and not osp.isfile(local):
            raise FileNotFoundError(
                f'{self.checkpoint} not found: the pre-trained weights that '
                f'the init_cfg of {type(module).__name__} loads. Write them '
                'first (the config, or the _base_ model file it names, says '
                'with which command), or give another file, e.g. '
                '--cfg-options model.backbone.init_cfg.checkpoint=PATH')
        ckpt = load_checkpoint(self.checkpoint, self.map_location)
        state_dict = extract_state_dict(ckpt, self.prefix, self.revise_keys)
        load_state_dict_strict(
            module,
            state_dict,
            source=self.checkpoint,
            prefix=self.prefix,
            may_miss=getattr(module, 'new_parameters', ()),
            may_miss_what='parameters new to this '
            f'{type(module).__name__}')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self):
        return f'{self.__class__.__name__}: load from {self.checkpoint}'
