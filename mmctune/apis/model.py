"""The model index: every config the toolbox ships, as mmpretrain's
``ModelHub``, ``list_models`` and ``get_model`` (``mmpretrain/apis/model.py``)
read mmpretrain's.

The index is OpenMMLab's model-index format: ``model-index.yml`` imports
one ``metafile.yml`` per config folder; a *collection* is a method, a
*model* is a config (named by its path under the config folder, without
``.py``). ``model-index.yml`` describes the fields. Beyond mmpretrain's, two
say where a config sits in the comparisons:

- a collection's ``Metadata.Role``: ``reference`` (CE-tuning),
  ``baseline``, ``proposed`` (Core-tuning), ``ablation`` (a row of the
  paper's Table 2 that is not a method), ``adversarial`` or
  ``pre-training``;
- a model's ``Metadata.Setting``: the comparison it is its method's row of
  (``fmnist``, ``fmnist-mbv2``, ``cifar10``, ``seg``, ...), one model per
  method and setting.

:func:`setting_models` lists a setting's rows in the tables' order: by
role (:data:`ROLES`), then in the order of the index (its metafiles by
folder name, then as each lists its models). So a method is its model code,
its configs, its metafile and its tests: the demo, the benchmarks and the
multi-seed tool find it here, and no list of methods is kept anywhere else.

The index is found in the installed package's ``.mim`` folder (a wheel;
an editable install, where ``setup.py`` links it), else beside the package
in a source checkout.
"""
import copy
import fnmatch
import glob
import os.path as osp
import re
import warnings
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import yaml

#: the roles of the methods, in the order a comparison lists them
ROLES = ('reference', 'baseline', 'proposed', 'ablation', 'adversarial',
         'pre-training')
#: the roles of a fine-tuning comparison's rows
FINE_TUNING_ROLES = ('reference', 'baseline', 'proposed')

INDEX_FILE = 'model-index.yml'


def _yaml(path: str):
    loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
    with open(path, encoding='utf-8') as f:
        return yaml.load(f, Loader=loader)


def _default_index() -> str:
    """``model-index.yml`` of the installed package (``.mim``), else of the
    source checkout the package sits in."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    candidates = (osp.join(package, '.mim', INDEX_FILE),
                  osp.join(osp.dirname(package), INDEX_FILE))
    for path in candidates:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'the model index ({INDEX_FILE}) is in neither {candidates[0]} (an '
        f'installed package) nor {candidates[1]} (a source checkout); '
        'reinstall mmctune (pip install .), or in an editable install run '
        'python tools/misc/mim_editable.py')


def slug(name: str) -> str:
    """A file-name form of a collection's name: ``'Core-tuning'`` ->
    ``'core-tuning'``, ``'SCL (+L_con)'`` -> ``'scl-l-con'``."""
    return re.sub(r'[^a-z0-9.]+', '-', name.lower()).strip('-')


class ModelHub:
    """The models and collections of the model index, in its order.

    As mmpretrain's ``ModelHub``: :meth:`get` gives a model's meta
    information (a ``modelindex`` ``Model``) with its config loaded,
    :meth:`has` whether a name is in the index; the index registers itself
    on first use (:meth:`register_model_index` adds another). Names are
    case-insensitive.
    """
    _models_dict: Dict[str, object] = OrderedDict()
    _collections: Dict[str, object] = OrderedDict()
    _by_config: Dict[str, object] = {}
    _registered = False

    @classmethod
    def register_model_index(cls,
                             model_index_path: str,
                             config_prefix: Optional[str] = None):
        """Register every model of a ``model-index.yml`` (its ``Import``
        patterns expanded in sorted order, as ``modelindex`` does).

        Args:
            model_index_path (str): The ``model-index.yml``.
            config_prefix (str, optional): What the models' ``Config`` paths
                are relative to; default: the index file's folder.

        Raises:
            ValueError: a model or collection the index holds twice, a model
                whose collection is not in the index, or what ``modelindex``
                finds wrong in a metafile.
        """
        from modelindex.models.ModelIndex import ModelIndex

        # real paths: an editable install's .mim links lead to the clone's
        # files, which is where the configs are and what users should see
        root = osp.dirname(osp.realpath(model_index_path))
        prefix = root if config_prefix is None else str(config_prefix)
        index = _yaml(model_index_path) or {}
        files = []
        for pattern in index.get('Import') or []:
            found = sorted(glob.glob(osp.join(root, pattern)))
            files += found if any(
                c in pattern for c in '*?[') else [osp.join(root, pattern)]
        models, collections = [], []
        for path in files:
            part = ModelIndex.from_dict(_yaml(path), path)
            errors = part.check(silent=True)
            if errors:
                raise ValueError(f'{path}: {"; ".join(errors)}')
            collections += list(part.collections or [])
            models += list(part.models or [])
        for col in collections:
            if col.name in cls._collections:
                raise ValueError(f'collection {col.name!r} is defined twice '
                                 f'({col.filepath})')
            cls._collections[col.name] = col
        for model in models:
            key = model.name.lower()
            if key in cls._models_dict:
                raise ValueError(
                    f'model {model.name!r} is in the index twice: '
                    f'{model.filepath} and {cls._models_dict[key].filepath}')
            if model.in_collection not in cls._collections:
                raise ValueError(f'{model.filepath}: model {model.name!r} '
                                 f'is in collection {model.in_collection!r},'
                                 ' which the index does not define')
            if model.config and not osp.isabs(model.config):
                model.config = osp.realpath(osp.join(prefix, model.config))
            model.build_full_model(cls._collections[model.in_collection])
            cls._models_dict[key] = model
            if model.config:
                cls._by_config[osp.realpath(model.config)] = model

    @classmethod
    def _register_mmctune_models(cls):
        if not cls._registered:
            cls.register_model_index(_default_index())
            cls._registered = True

    @classmethod
    def get(cls, model_name: str):
        """The meta information of a model (a copy), its ``config`` loaded
        (an mmengine ``Config``).

        Raises:
            ValueError: no such model, naming ``list_models``.
        """
        from mmengine.config import Config
        metainfo = copy.deepcopy(cls.metainfo(model_name))
        metainfo.config = Config.fromfile(metainfo.config)
        return metainfo

    @classmethod
    def metainfo(cls, model_name: str):
        """A model's meta information, as the index holds it (``config`` is
        the config's path): read, do not change."""
        cls._register_mmctune_models()
        metainfo = cls._models_dict.get(model_name.lower())
        if metainfo is None:
            raise ValueError(
                f'Failed to find model "{model_name}". please use '
                '`mmctune.apis.list_models` to get all available names.')
        return metainfo

    @classmethod
    def has(cls, model_name: str) -> bool:
        """Whether a model name is in the index."""
        cls._register_mmctune_models()
        return model_name.lower() in cls._models_dict

    @classmethod
    def models(cls) -> list:
        """Every model's meta information, in the index's order (read, do
        not change)."""
        cls._register_mmctune_models()
        return list(cls._models_dict.values())

    @classmethod
    def collections(cls) -> list:
        """Every collection (a method), in the index's order (read, do not
        change)."""
        cls._register_mmctune_models()
        return list(cls._collections.values())

    @classmethod
    def collection(cls, name: str):
        """A collection (a method) by name.

        Raises:
            KeyError: no such collection, listing them.
        """
        cls._register_mmctune_models()
        if name not in cls._collections:
            raise KeyError(f'unknown method {name!r}; the methods are '
                           f'{list(cls._collections)}')
        return cls._collections[name]


def metadata(metainfo) -> dict:
    """A model's metadata with its collection's (``Role``)."""
    full = metainfo.full_model.metadata
    return dict(full.data) if full is not None else {}


def role_of(metainfo) -> Optional[str]:
    """The role of a model's method (``ROLES``), or None."""
    return metadata(metainfo).get('Role')


def list_models(pattern: Optional[str] = None,
                exclude_patterns: Optional[Sequence[str]] = None,
                task: Optional[str] = None,
                setting: Optional[str] = None) -> List[str]:
    """The names of the models in the index, sorted, as mmpretrain's
    ``list_models``: ``pattern`` and ``exclude_patterns`` are wildcards
    matched with any ending (``list_models('coretune/*cifar')``); ``task``
    (``'Image Classification'``, ``'Semantic Segmentation'``, ``'Domain
    Generalization'``, ``'Contrastive Pre-training'``) is the model's
    ``Metadata.Task`` (mmpretrain reads it from ``Results``, which here are
    the papers' figures); ``setting`` its ``Metadata.Setting``."""
    names = {m.name.lower(): m for m in ModelHub.models()}
    matches = set(names)
    if pattern is not None:
        matches = set(fnmatch.filter(matches, pattern.lower() + '*'))
    for exclude in exclude_patterns or []:
        matches -= set(fnmatch.filter(matches, exclude.lower() + '*'))
    if task is not None:
        matches = {
            n
            for n in matches if metadata(names[n]).get('Task') == task
        }
    if setting is not None:
        matches = {
            n
            for n in matches if metadata(names[n]).get('Setting') == setting
        }
    return sorted(names[n].name for n in matches)


def list_settings() -> List[str]:
    """Every ``Metadata.Setting`` of the index, sorted."""
    return sorted({
        metadata(m)['Setting']
        for m in ModelHub.models() if metadata(m).get('Setting')
    })


def setting_models(setting: str,
                   roles: Sequence[str] = FINE_TUNING_ROLES) -> list:
    """The rows of a comparison: the models of ``setting`` whose method has
    one of ``roles``, by role (in :data:`ROLES`' order), then in the
    index's order. Each row is a model's meta information (its
    ``in_collection`` the method's name, its ``config`` the config's path).

    Raises:
        KeyError: a setting the index does not have, listing them.
    """
    models = [
        m for m in ModelHub.models() if metadata(m).get('Setting') == setting
    ]
    if not models:
        raise KeyError(f'unknown setting {setting!r}; the settings are '
                       f'{list_settings()}')
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise KeyError(f'unknown roles {sorted(unknown)}; the roles are '
                       f'{list(ROLES)}')
    rows = [(ROLES.index(role_of(m)), i, m) for i, m in enumerate(models)
            if role_of(m) in roles]
    return [m for _, _, m in sorted(rows, key=lambda r: r[:2])]


def model_of_config(config: str):
    """The meta information of the model whose config is ``config`` (a
    path), or None when the index has none."""
    ModelHub._register_mmctune_models()
    return ModelHub._by_config.get(osp.realpath(config))


def get_model(model, pretrained=False, device: str = 'cpu', **kwargs):
    """A model of the index by name, or of a config (a path or a
    ``Config``), built as :func:`mmctune.apis.init_model` builds it (in
    eval mode), as mmpretrain's ``get_model``.

    Args:
        model (str | Config): A model name (``list_models``), a config path
            or a config.
        pretrained (bool | str): A checkpoint to load, strictly; ``True``:
            the model's released weights (``Weights``; none of the index's
            models has any yet, so this warns and loads nothing); ``False``:
            none (the config's own ``init_cfg`` still loads its pre-trained
            backbone when the model's weights are initialised).
        device (str): Where the model goes.
        **kwargs: Settings of the config's ``model`` to change.

    Returns:
        The model; ``model._config`` is its config and ``model._metainfo``
        its meta information (None for a config).
    """
    from mmengine.config import Config

    from .inference import init_model
    metainfo = None
    if isinstance(model, Config):
        config = copy.deepcopy(model)
    elif isinstance(model, str) and model.endswith('.py'):
        config = Config.fromfile(model)
    elif isinstance(model, str):
        metainfo = ModelHub.get(model)
        config = metainfo.config
    else:
        raise TypeError('model must be a name, a config path or a Config, '
                        f'not {type(model).__name__}')
    if pretrained is True:
        pretrained = getattr(metainfo, 'weights', None)
        if pretrained is None:
            warnings.warn('the model has no released weights: nothing is '
                          'loaded')
    checkpoint = pretrained or None
    if kwargs:
        config.merge_from_dict({'model': kwargs})
    built, _ = init_model(config, checkpoint, device=device)
    built._metainfo = metainfo
    return built
