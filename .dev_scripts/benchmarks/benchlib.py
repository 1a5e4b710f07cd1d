"""What the benchmark scripts of this folder share, besides the sweep runner
(``sweep.py``): their settings (``benchmarks.yml``), edits of a loaded
config (one value by its config path, the number of epochs), and
Fashion-MNIST read as arrays or as a training batch.

The scripts run from the repository root (``python
.dev_scripts/benchmarks/<script>.py``) and import this module from their
own folder; the library they benchmark is the installed ``mmctune``, whose
model index (``mmctune.apis``) says which methods and configs there are.
"""
import os.path as osp
import re
from collections.abc import Mapping

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
SETTINGS_FILE = osp.join(HERE, 'benchmarks.yml')


# ----------------------------------------------------------------------
# benchmarks.yml and the model index
# ----------------------------------------------------------------------
def load_settings(benchmark: str = None) -> dict:
    """``benchmarks.yml``, or its section of one benchmark (the script's
    name without ``.py``)."""
    import yaml
    with open(SETTINGS_FILE, encoding='utf-8') as f:
        settings = yaml.safe_load(f)
    return settings if benchmark is None else settings[benchmark]


def config_of(name: str) -> str:
    """The config of a model of the index (``'coretune/r50_moco_cifar10'``),
    relative to the repository root when it is inside it (how the tables
    print it)."""
    from mmctune.apis import ModelHub
    path = ModelHub.metainfo(name).config
    rel = osp.relpath(path, ROOT)
    return path if rel.startswith('..') else rel


def setting_configs(setting: str, roles) -> list:
    """(method, config) of each row of a setting of the model index, in the
    tables' order (``mmctune.apis.setting_models``); configs relative to the
    repository root."""
    from mmctune.apis import setting_models
    return [(m.in_collection, config_of(m.name))
            for m in setting_models(setting, roles)]


# ----------------------------------------------------------------------
# config edits
# ----------------------------------------------------------------------
_TOKEN = re.compile(r'\[([^\]]*)\]|([^.\[\]]+)|(\.)')


def parse_path(path: str) -> list:
    """A config path as tokens: ``('key', name)`` and ``('select',
    selector)``.

    ``model.regularizers[type=L2SPRegularizer].alpha``: the ``alpha`` of the
    one regulariser of type ``L2SPRegularizer``;
    ``custom_hooks[type=StageSwitchHook].stages[*].head.con_loss.loss_weight``:
    the one stage (of any nesting of lists and tuples) that sets
    ``head.con_loss.loss_weight`` (a key with dots: see ``set_by_path``).
    """
    tokens, end = [], 0
    for m in _TOKEN.finditer(path):
        if m.start() != end:
            break
        end = m.end()
        if m.group(1) is not None:
            tokens.append(('select', m.group(1).strip()))
        elif m.group(2) is not None:
            tokens.append(('key', m.group(2)))
    if end != len(path) or not tokens or tokens[0][0] != 'key':
        raise KeyError(f'{path}: not a config path (keys joined by dots, a '
                       'list element chosen by [type=...] or [*])')
    return tokens


def _type_matches(written, wanted: str) -> bool:
    return isinstance(written,
                      str) and wanted in (written, written.rsplit('.', 1)[-1])


def _locate(node, tokens, path, star_free=True) -> list:
    """Every concrete way (a tuple of keys and indices) from ``node`` along
    ``tokens``; KeyError when there is none."""
    if not tokens:
        return [()]
    kind, arg = tokens[0]
    if kind == 'key':
        if isinstance(node, (list, tuple)):
            raise KeyError(
                f'{path}: {arg!r} names a list element by position; name it '
                'by its type ([type=...]) or by what it holds ([*])')
        if not (isinstance(node, Mapping) or hasattr(node, 'keys')):
            raise KeyError(f'{path}: the config has no {arg!r} there')
        # a key may hold dots (a StageSwitchHook stage's
        # 'head.con_loss.loss_weight'): the longest key that matches
        keys = []
        for k, a in tokens:
            if k != 'key':
                break
            keys.append(a)
        for n in range(len(keys), 0, -1):
            key = '.'.join(keys[:n])
            if key in node:
                return [(key, ) + way
                        for way in _locate(node[key], tokens[n:], path)]
        raise KeyError(f'{path}: the config has no {arg!r} there')
    if not isinstance(node, (list, tuple)):
        raise KeyError(f'{path}: [{arg}] chooses a list element, and the '
                       f'config has a {type(node).__name__} there')
    if arg.startswith('type='):
        wanted = arg[len('type='):]
        found = [
            i for i, e in enumerate(node)
            if isinstance(e, Mapping) and _type_matches(e.get('type'), wanted)
        ]
        if len(found) != 1:
            raise KeyError(f'{path}: the list has {len(found)} elements of '
                           f'type {wanted!r}, not one')
        return [(found[0], ) + way
                for way in _locate(node[found[0]], tokens[1:], path)]
    if arg != '*':
        raise KeyError(f'{path}: [{arg}] is not a selector ([type=...], '
                       '[*])')
    ways = []
    for i, element in enumerate(node):
        try:
            if isinstance(element, (list, tuple)):
                sub = _locate(element, tokens, path, star_free=False)
            else:
                sub = _locate(element, tokens[1:], path)
        except KeyError:
            continue
        ways += [(i, ) + way for way in sub]
    if star_free and len(ways) != 1:
        rest = path[path.index('[*]') + 3:].lstrip('.')
        raise KeyError(f'{path}: {len(ways)} elements of the list hold '
                       f'{rest!r}, not one')
    if not ways:
        raise KeyError(f'{path}: no element holds the rest of the path')
    return ways


def _assign(node, way, value):
    """``node`` with the value at ``way`` set (a changed copy of a
    tuple)."""
    if not way:
        return value
    key, rest = way[0], way[1:]
    child = _assign(node[key], rest, value)
    if isinstance(node, tuple):
        return node[:key] + (child, ) + node[key + 1:]
    node[key] = child
    return node


def set_by_path(cfg, path: str, value) -> None:
    """Set the config value that ``path`` names (``parse_path``).

    Dict keys are joined by dots; a key that itself holds dots, as a
    ``StageSwitchHook`` stage's ``'head.con_loss.loss_weight'``, is found
    too: at each step the longest key that matches is taken. A list element
    is named by what it is, never by its position: ``[type=X]`` is the one
    element whose ``type`` is ``X`` (or ``scope.X``), ``[*]`` the one
    element, in lists and tuples however nested, that holds the rest of the
    path. A tuple is replaced by a changed copy.

    Unlike ``Config.merge_from_dict``, which adds a key it does not find, a
    path that names nothing, or more than one value, is refused: every step
    must exist, the last one included.

    Raises:
        KeyError: naming the path and the step that fails.
    """
    way, = _locate(cfg, parse_path(path), path)
    _assign(cfg, way, value)


def get_by_path(cfg, path: str):
    """The config value that ``path`` names (as ``set_by_path``)."""
    way, = _locate(cfg, parse_path(path), path)
    node = cfg
    for key in way:
        node = node[key]
    return node


def set_epochs(cfg, epochs) -> None:
    """Train for ``epochs`` epochs and stretch the epoch-based schedules
    (their ``begin``/``end``/``T_max``) by the same factor; the validation
    interval becomes the whole run. ``epochs=None`` changes nothing."""
    if epochs is None:
        return
    scale = epochs / cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    if cfg.train_cfg.get('val_interval') is not None:
        cfg.train_cfg.val_interval = epochs
    schedulers = cfg.param_scheduler if isinstance(
        cfg.param_scheduler, list) else [cfg.param_scheduler]
    for s in schedulers:
        if s.get('by_epoch', True):
            for key in ('begin', 'end', 'T_max'):
                if key in s:
                    s[key] = s[key] * scale


# ----------------------------------------------------------------------
# Fashion-MNIST (decompressed by tools/dataset_converters/
# prepare_fashion_mnist.py)
# ----------------------------------------------------------------------
_HINT = 'run python tools/dataset_converters/prepare_fashion_mnist.py'


def _idx_file(root, split, kind):
    prefix = 'train' if split == 'train' else 't10k'
    path = osp.join(
        root, f'{prefix}-{kind}-idx{3 if kind == "images" else 1}'
        '-ubyte')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: {_HINT}')
    return path


def read_labels(root: str, split: str = 'train'):
    """The labels (uint8 array) of the ``'train'`` or ``'test'`` split of
    the decompressed Fashion-MNIST in ``root``."""
    import numpy as np
    with open(_idx_file(root, split, 'labels'), 'rb') as f:
        return np.frombuffer(f.read()[8:], dtype=np.uint8)


def read_images(root: str, split: str = 'train'):
    """The images (uint8 array, N x 28 x 28) of a split, as
    ``read_labels``."""
    import numpy as np
    with open(_idx_file(root, split, 'images'), 'rb') as f:
        return np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(-1, 28, 28)


def class_sizes(root: str, split: str = 'train') -> list:
    """Images per class of a split."""
    import numpy as np
    return np.bincount(read_labels(root, split)).tolist()


def fashion_mnist_batch(root: str, n: int, views: int = 1) -> dict:
    """The first ``n`` training images (uint8, 1 x 28 x 28) and labels as a
    collated batch for ``model.train_step``: ``inputs`` (a list of
    ``views`` copies when ``views`` > 1, as mmpretrain's ``MultiView``
    gives) and ``data_samples`` (mmpretrain ``DataSample``)."""
    import torch
    from mmpretrain.structures import DataSample
    labels = read_labels(root)
    if n > len(labels):
        raise ValueError(f'batch {n} > the {len(labels)} images in {root}')
    img = torch.from_numpy(read_images(root)[:n].copy()).unsqueeze(1)
    return dict(
        inputs=img if views == 1 else [img.clone() for _ in range(views)],
        data_samples=[DataSample().set_gt_label(int(c)) for c in labels[:n]])
