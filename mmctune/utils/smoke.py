"""``--smoke``: any config, shrunk consistently, for a quick end-to-end
check on a laptop CPU."""
import copy
from typing import List

#: transform arguments that are image sizes in pixels
SIZE_KEYS = ('scale', 'crop_size', 'img_scale', 'size')


def _shrink(value, factor: float, floor: int):
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value > floor:
        return max(floor, round(value * factor))
    if isinstance(value, (tuple, list)) and value and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return type(value)(_shrink(v, factor, floor) for v in value)
    return value


def _shrink_sizes(node, factor: float, floor: int) -> int:
    """Scale every pixel size of the transforms in ``node`` (dicts and lists,
    nested: MultiView, TestTimeAug) by ``factor``; return how many."""
    count = 0
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SIZE_KEYS:
                new = _shrink(value, factor, floor)
                if new != value:
                    node[key] = new
                    count += 1
            else:
                count += _shrink_sizes(value, factor, floor)
    elif isinstance(node, (list, tuple)):
        for value in node:
            count += _shrink_sizes(value, factor, floor)
    return count


def _takes_indices(dataset: dict) -> bool:
    """Whether the class a dataset config builds takes ``indices`` (mmengine's
    ``BaseDataset`` and mmctune's ``LabelFraction`` do; ``ConcatDataset``,
    ``RepeatDataset`` do not)."""
    import inspect

    from mmengine.registry import DefaultScope

    from mmctune.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmctune'):
        cls = DATASETS.get(dataset.get('type'))
    return cls is not None and 'indices' in inspect.signature(
        cls.__init__).parameters


def _subset(dataset: dict, images: int) -> None:
    """Keep the first ``images`` of a dataset config (its ``indices``): of
    the outermost dataset that takes them (a ``LabelFraction`` subset, not
    the data it samples from), else of each dataset a wrapper holds."""
    if _takes_indices(dataset):
        dataset['indices'] = images
    elif 'datasets' in dataset:  # ConcatDataset
        for inner in dataset['datasets']:
            _subset(inner, images)
    elif isinstance(dataset.get('dataset'), dict):  # RepeatDataset, ...
        _subset(dataset['dataset'], images)
    else:
        dataset['indices'] = images


#: transforms whose size argument is the crop the model trains on
CROP_KEYS = {
    'RandomResizedCrop': 'scale',
    'RandomCrop': 'crop_size',
    'CenterCrop': 'crop_size'
}


def _largest(value) -> int:
    if isinstance(value, (list, tuple)):
        return max((_largest(v) for v in value), default=0)
    return value if isinstance(value,
                               int) and not isinstance(value, bool) else 0


def train_crop(cfg, default: int = 224) -> int:
    """The largest crop the training pipeline makes (``RandomCrop`` 256 of
    the CIFAR recipe, ``RandomResizedCrop`` 224, ...), else ``default``."""
    loader = cfg.get('train_dataloader') or {}
    found = []

    def walk(node):
        if isinstance(node, dict):
            name = str(node.get('type', '')).split('.')[-1]
            if name in CROP_KEYS and node.get(CROP_KEYS[name]) is not None:
                found.append(_largest(node[CROP_KEYS[name]]))
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(loader.get('dataset', {}))
    return max(found, default=0) or default


def describe(cfg, notes: List[str]) -> List[str]:
    """``smoke_cfg``'s log line, with the run's length and batch read from
    the config after ``--cfg-options`` (which apply on top of ``--smoke``)."""
    loop = cfg.get('train_cfg') or {}
    if 'max_iters' in loop:
        n = loop['max_iters']
        length = f'{n} iteration{"s" if n != 1 else ""}'
    else:
        n = loop.get('max_epochs')
        length = f'{n} epoch{"s" if n != 1 else ""}'
    batch = (cfg.get('train_dataloader') or {}).get('batch_size')
    rest = [n.replace('{batch}', str(batch)) for n in notes]
    return ['--smoke: ' + ', '.join([length] + rest)]


def smoke_cfg(cfg,
              images: int = 16,
              batch: int = 4,
              size: int = 64) -> List[str]:
    """Shrink ``cfg`` in place for a quick end-to-end check of a config:

    - one epoch (or 2 iterations of an iteration-based schedule), validated
      at its end, logged every iteration;
    - the first ``images`` images of every split (train, val, test; each
      dataset of a concatenation);
    - batch ``batch`` everywhere, no data-loader workers; the recipe's total
      (``auto_scale_lr.base_batch_size``) follows, so nothing else changes;
    - images shrunk so that the largest crop is ``size`` pixels: every
      pixel size of the pipelines (``scale``, ``crop_size``, ``size``), of
      a segmentor's padding and of its sliding-window test is scaled by
      ``size`` / the training crop (:func:`train_crop`; the padded crop for
      segmentation), sizes at or below ``size`` untouched;
    - the preparations before training fitted to ``images`` images
      (:func:`mmctune.engine.hooks.fit_preparations`: e.g. HCSC's
      prototypes, Co-Tuning's pseudo source classes).

    Everything else (model, losses, pre-trained weights, hooks, schedule
    shape) is the config's; the learning-rate schedule is then fitted to
    the shorter run by ``tools/train.py`` (``fit_schedule``). Returns the
    notes for :func:`describe`, which writes the log line once
    ``--cfg-options`` apply.
    """
    notes = []
    train_cfg = cfg.get('train_cfg') or {}
    if 'max_iters' in train_cfg:
        train_cfg['max_iters'] = 2
        train_cfg['val_interval'] = 2
    else:
        train_cfg['max_epochs'] = 1
        train_cfg['val_interval'] = 1
    cfg['train_cfg'] = train_cfg

    # the crop the recipe trains on: a segmentor's padded size, else the
    # training pipeline's largest crop
    model = cfg.get('model') or {}
    preprocessor = model.get('data_preprocessor') or {}
    model_test = model.get('test_cfg') or {}
    crop = train_crop(cfg)
    if preprocessor.get('size'):
        crop = max(preprocessor['size'])
    factor = size / crop
    shrunk = 0
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        # a config's `test_dataloader = val_dataloader` shares the objects:
        # shrink a copy of each, not the same sizes twice
        cfg[f'{split}_dataloader'] = copy.deepcopy(loader)
        loader = cfg[f'{split}_dataloader']
        loader['batch_size'] = batch
        loader['num_workers'] = 0
        loader['persistent_workers'] = False
        _subset(loader['dataset'], images)
        shrunk += _shrink_sizes(loader['dataset'], factor, size)
    for key in ('tta_pipeline', ):
        if cfg.get(key):
            cfg[key] = copy.deepcopy(cfg[key])  # stored as given back
            shrunk += _shrink_sizes(cfg[key], factor, size)
    if preprocessor.get('size'):  # a segmentor pads to it
        preprocessor['size'] = _shrink(preprocessor['size'], factor, size)
        shrunk += 1
    if isinstance(model_test, dict):
        for k in ('crop_size', 'stride'):  # a segmentor's sliding window
            if k in model_test:
                model_test[k] = _shrink(model_test[k], factor, 1)
                shrunk += 1
    notes.append(f'the first {images} images of each split, batch {{batch}}, '
                 'no workers')
    if shrunk:
        notes.append(f'{shrunk} image sizes scaled by {size}/{crop}')
    # the one-off preparations' sizes (HCSC's prototypes, Co-Tuning's pseudo
    # source classes, ...) for the kept images
    from mmctune.engine.hooks import fit_preparations
    notes += fit_preparations(cfg, images)
    if cfg.get('auto_scale_lr'):
        cfg['auto_scale_lr']['base_batch_size'] = batch
    hooks = cfg.get('default_hooks') or {}
    if hooks.get('logger'):
        hooks['logger']['interval'] = 1
    return notes
