"""The training set read for evaluation: with the test pipeline, each image
once, in order (kNN banks, transferability scores, t-SNE, the one-off passes
of Co-Tuning and HCSC, BN statistics of weight ensembles)."""
import copy
from typing import List, Optional, Union

from mmengine.config import ConfigDict

#: wrappers that show an image several times (each image once instead)
REPEAT_WRAPPERS = ('RepeatDataset', 'ClassBalancedDataset')
#: wrappers that keep a subset of the labelled images
SUBSET_WRAPPERS = ('LabelFraction', )


def _type(dataset: dict) -> str:
    name = dataset.get('type', '')
    return (name if isinstance(name, str) else name.__name__).split('.')[-1]


def _holders(dataset: dict) -> List[dict]:
    """The dataset configs under ``dataset`` that hold a pipeline: the first
    one that has a ``pipeline`` key down each chain of wrappers (``dataset``)
    and every dataset of a ``ConcatDataset`` (``datasets``)."""
    if not isinstance(dataset, dict):
        return []
    if 'pipeline' in dataset:
        return [dataset]
    if isinstance(dataset.get('datasets'), (list, tuple)):
        return [h for d in dataset['datasets'] for h in _holders(d)]
    if isinstance(dataset.get('dataset'), dict):
        return _holders(dataset['dataset'])
    return []


def find_pipeline(dataset: dict) -> Optional[list]:
    """The pipeline of a dataset config, under its wrappers
    (``LabelFraction``, ``RepeatDataset``, ... ; the first dataset of a
    ``ConcatDataset``); None if none names one."""
    holders = _holders(dataset)
    return holders[0]['pipeline'] if holders else None


def set_pipeline(dataset: dict, pipeline: list) -> None:
    """Give every dataset under ``dataset`` (a config, changed in place)
    that reads images the transforms ``pipeline``: the dataset under its
    wrappers, each dataset of a ``ConcatDataset``; never a wrapper, which
    takes no ``pipeline``. ValueError if none holds one."""
    holders = _holders(dataset)
    if not holders:
        raise ValueError(
            f'no dataset under {_type(dataset) or dataset!r} names a '
            '`pipeline` to replace')
    for holder in holders:
        holder['pipeline'] = copy.deepcopy(list(pipeline))


def _unwrapped(dataset: dict, drop: tuple) -> dict:
    """``dataset`` without the wrappers of types ``drop``, at any depth."""
    if not isinstance(dataset, dict):
        return dataset
    while _type(dataset) in drop and isinstance(dataset.get('dataset'), dict):
        dataset = dataset['dataset']
    dataset = dict(dataset)
    if isinstance(dataset.get('datasets'), (list, tuple)):
        dataset['datasets'] = [
            _unwrapped(d, drop) for d in dataset['datasets']
        ]
    elif isinstance(dataset.get('dataset'), dict):
        dataset['dataset'] = _unwrapped(dataset['dataset'], drop)
    return dataset


def _eval_pipeline(cfg, first: str) -> list:
    order = ('test', 'val') if first == 'test' else ('val', 'test')
    for split in order:
        loader = cfg.get(f'{split}_dataloader') or {}
        pipeline = find_pipeline(loader.get('dataset') or {})
        if pipeline is not None:
            return pipeline
    raise ValueError(
        f"the config has no {order[0]}_dataloader nor {order[1]}_dataloader "
        'with a dataset pipeline to read the training images with: give '
        'the pipeline (a list of transforms), or None for the training one')


def train_eval_loader_cfg(cfg,
                          pipeline: Union[str, list, None] = 'test',
                          whole_set: bool = False,
                          batch_size: Optional[int] = None,
                          num_workers: Optional[int] = None) -> dict:
    """The config of a loader of ``cfg``'s training set for an evaluation
    pass: every training image once, in dataset order, with an evaluation
    pipeline.

    From ``cfg.train_dataloader`` (a copy; ``cfg`` is not changed):

    - the pipeline of the dataset(s) under the wrappers is ``pipeline``:
      ``'test'`` the test loader's (else the validation loader's), ``'val'``
      the validation loader's (else the test loader's), a list of
      transforms as given, None the training pipeline;
    - ``RepeatDataset`` and ``ClassBalancedDataset`` are removed (each image
      once); a ``LabelFraction`` is kept (the labelled images the model
      trains on) unless ``whole_set`` (every training image, e.g. a kNN
      bank); each dataset of a ``ConcatDataset`` gets the pipeline;
    - ``DefaultSampler`` without shuffling, no ``batch_sampler``, no
      ``drop_last``; ``batch_size`` and ``num_workers`` the training
      loader's unless given (no persistent workers without workers).

    Returns:
        ConfigDict: for ``Runner.build_dataloader``.
    """
    train = cfg.get('train_dataloader')
    if not train:
        raise ValueError('the config has no train_dataloader')
    train = copy.deepcopy(train)
    loader = train.to_dict() if hasattr(train, 'to_dict') else dict(train)
    drop = REPEAT_WRAPPERS + (SUBSET_WRAPPERS if whole_set else ())
    loader['dataset'] = _unwrapped(copy.deepcopy(loader['dataset']), drop)
    if pipeline is not None:
        if isinstance(pipeline, str):
            if pipeline not in ('test', 'val'):
                raise ValueError(
                    "pipeline must be 'test', 'val', a list of transforms "
                    f'or None (the training one), got {pipeline!r}')
            pipeline = _eval_pipeline(cfg, pipeline)
        set_pipeline(loader['dataset'], pipeline)
    loader['sampler'] = dict(type='DefaultSampler', shuffle=False)
    loader.pop('batch_sampler', None)
    loader['drop_last'] = False
    if batch_size is not None:
        loader['batch_size'] = batch_size
    if num_workers is not None:
        loader['num_workers'] = num_workers
    if not loader.get('num_workers'):
        loader['persistent_workers'] = False
    return ConfigDict(loader)
