"""Loading checkpoints without running code from them.

A checkpoint is a pickle: unpickled in full, it can call any Python function
it names, so a downloaded file could run a shell command the moment it is
loaded. torch's ``weights_only`` loader unpickles only tensors, plain
containers and the globals it is told are safe, and stops at the first other
one before anything in the file runs. mmctune loads every checkpoint that
way: the Runner's ``load_from``, ``--resume`` and ``init_cfg`` checkpoints
(through mmengine's ``CheckpointLoader``, whose schemes
:func:`register_safe_loaders` replaces), ``tools/test.py``,
``tools/infer.py``, the APIs, the converters, the weight ensembles and the
hooks.

The globals allowed beyond torch's own are :func:`safe_globals`, each with
the checkpoint that needs it. A file that asks for anything else is refused
with :class:`UnsafeCheckpointError`, which names the global. A file the user
trusts loads in full with the tools' ``--trust-checkpoint`` (which calls
:func:`trust_checkpoints`) or the APIs' ``trust_checkpoint=True``; both log
a warning naming the file.
"""
import argparse
import contextlib
import io
import logging
import os
import os.path as osp
import pickle
import re
import tempfile
import zipfile
from typing import IO, List, Optional, Union

import torch
from mmengine.logging import print_log

TRUST_FLAG = '--trust-checkpoint'
TRUST_HELP = (
    'load checkpoints in full (torch.load weights_only=False) even where '
    'they hold Python objects other than tensors and the few classes that '
    'mmengine\'s and mmctune\'s own checkpoints hold: unpickling such a '
    'file runs code from it. Only for files whose source you trust')

_trusted = False

_STATISTICS = ('min', 'max', 'current', 'mean')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint asks for a Python global that loading it safely does not
    allow; nothing in it has run."""


class CheckpointUnavailableError(FileNotFoundError):
    """A checkpoint named by URL is neither in ``checkpoints/`` nor in
    torch's cache, and cannot be downloaded."""


#: where a checkpoint named by URL is looked for first, relative to the
#: directory the run starts from (docs/pretrained_weights.md)
LOCAL_DIR = 'checkpoints'


def _history_buffer_getattr(owner, name):
    """What ``builtins.getattr`` may return while a checkpoint is loaded.

    mmengine's ``MessageHub`` pickles the statistic methods of its
    ``HistoryBuffer`` (``min``, ``max``, ``current``, ``mean``) as
    ``getattr(HistoryBuffer, 'min')``. Allowing the real ``getattr`` would
    let a file reach any attribute of any allowed object; this one returns
    those four methods and refuses everything else.
    """
    from mmengine.logging import HistoryBuffer
    if owner is HistoryBuffer and name in _STATISTICS:
        return getattr(HistoryBuffer, name)
    raise UnsafeCheckpointError(
        f'the checkpoint asks for getattr({owner!r}, {name!r}); only '
        f'HistoryBuffer\'s statistic methods {_STATISTICS} are allowed')


def safe_globals() -> list:
    """The globals that mmctune lets torch's ``weights_only`` loader
    unpickle, as ``(object, name in the pickle)``, beyond torch's own
    (tensors, storages, dtypes, ``OrderedDict``, ``torch.Size``, ...).

    - ``mmengine.logging.history_buffer.HistoryBuffer`` and
      ``builtins.getattr`` (served by :func:`_history_buffer_getattr`):
      every checkpoint mmengine's Runner saves (``message_hub``, the logged
      scalars), hence ``--resume``, ``load_from`` and ``tools/test.py`` of a
      run's checkpoints;
    - numpy's array and scalar reconstruction (``_reconstruct``,
      ``ndarray``, ``dtype``, ``scalar`` and the dtype classes), under both
      the numpy 1 (``numpy.core``) and numpy 2 (``numpy._core``) names: the
      ``HistoryBuffer`` histories, numpy's generator state in
      ``meta.rng_state`` and ``last_rng_state``
      (:class:`~mmctune.engine.hooks.RandomStateHook`);
    - ``argparse.Namespace``: the training options that published
      checkpoints carry (PyContrast's ``opt``, DINO's, MAE's and MoCo v3's
      ``args``). It is rebuilt from its attributes; nothing is called.
    """
    import numpy as np
    from mmengine.logging import HistoryBuffer

    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    scalar = np.float64(0).__reduce__()[0]
    entries = [(HistoryBuffer,
                'mmengine.logging.history_buffer.HistoryBuffer'),
               (_history_buffer_getattr, 'builtins.getattr'),
               (np.ndarray, 'numpy.ndarray'), (np.dtype, 'numpy.dtype'),
               (argparse.Namespace, 'argparse.Namespace')]
    for core in ('numpy.core', 'numpy._core'):
        entries += [(reconstruct, f'{core}.multiarray._reconstruct'),
                    (scalar, f'{core}.multiarray.scalar')]
    dtypes = getattr(np, 'dtypes', None)  # numpy >= 1.25
    for name in dir(dtypes) if dtypes is not None else ():
        if name.endswith('DType') and name != 'ObjectDType':
            entries.append((getattr(dtypes, name), f'numpy.dtypes.{name}'))
    return entries


def trust_checkpoints(enabled: bool = True) -> None:
    """Load every checkpoint of this process in full where loading it safely
    fails (the tools' ``--trust-checkpoint``). Each such load logs a
    warning."""
    global _trusted
    _trusted = bool(enabled)


def checkpoints_trusted() -> bool:
    """Whether :func:`trust_checkpoints` is on in this process."""
    return _trusted


def add_trust_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--trust-checkpoint`` to a tool's parser; the tool calls
    :func:`trust_checkpoints` when it is given."""
    parser.add_argument(TRUST_FLAG, action='store_true', help=TRUST_HELP)


def _unsafe_globals(f, error: Exception) -> List[str]:
    """The globals a refused checkpoint asks for: all of them for a zip
    file (torch lists them without unpickling), else the one that stopped
    the loader."""
    found = []
    if isinstance(f, (str, os.PathLike)) and zipfile.is_zipfile(f):
        try:
            allowed = {name for _, name in safe_globals()}
            found = [
                g for g in
                torch.serialization.get_unsafe_globals_in_checkpoint(f)
                if g not in allowed
            ]
        except Exception:  # a damaged zip: the error's own name below
            found = []
    if not found:
        found = re.findall(r'GLOBAL ([\w.]+)', str(error))
    return found


def torch_load(f: Union[str, os.PathLike, IO[bytes]],
               map_location='cpu',
               source: Optional[str] = None):
    """``torch.load`` of a local file or a binary file object that never
    runs code from it, unless :func:`checkpoints_trusted` (then with a
    warning, and only where loading it safely fails).

    Args:
        f: a path or a binary file object.
        map_location: as for ``torch.load``.
        source (str, optional): the name to give the file in messages (e.g.
            the URL it was downloaded from).

    Raises:
        UnsafeCheckpointError: the file holds a global outside torch's
            allow-list and :func:`safe_globals`, and is not trusted.
    """
    name = source or (f if isinstance(f, (str, os.PathLike)) else getattr(
        f, 'name', 'the checkpoint'))
    start = f.tell() if hasattr(f, 'tell') else None
    try:
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(f, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        reason = error
    if start is not None:
        f.seek(start)
    found = _unsafe_globals(f, reason)
    what = (f'the Python global(s) {", ".join(found)}'
            if found else 'objects that are not tensors')
    if not _trusted:
        detail = '' if found else f' (torch: {str(reason).splitlines()[0]})'
        raise UnsafeCheckpointError(
            f'{name} was not loaded: it asks to unpickle {what}{detail}, '
            'outside the tensors, plain containers and the classes that '
            'mmengine\'s and mmctune\'s checkpoints hold '
            '(mmctune.utils.checkpoint.safe_globals). Unpickling it would '
            'run code from the file. If you trust the file and its source, '
            f'load it with {TRUST_FLAG} (tools) or trust_checkpoint=True '
            '(APIs); see docs/reliability.md#loading-checkpoints-safely'
        ) from None
    print_log(
        f'{name}: loaded in full ({TRUST_FLAG} / trust_checkpoint=True): '
        f'it holds {what}, and unpickling it may have run code from it',
        logger='current',
        level=logging.WARNING)
    return torch.load(f, map_location=map_location, weights_only=False)


# ---------------------------------------------------------------------------
# mmengine's CheckpointLoader: every scheme loads safely
# ---------------------------------------------------------------------------
def load_from_local(filename, map_location=None):
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch_load(filename, map_location)


def _download(url: str) -> str:
    """The local copy of ``url``: ``checkpoints/<file name>`` if it is
    there, else torch's hub cache, downloaded by the first process of each
    node first (as mmengine does). Offline, an error that names the file
    and where to put it."""
    from urllib.parse import urlparse

    from mmengine.dist import barrier, get_dist_info
    from torch.hub import download_url_to_file, get_dir
    name = osp.basename(urlparse(url).path)
    local = osp.join(LOCAL_DIR, name)
    if osp.isfile(local):
        print_log(f'{url}: using {local}', logger='current')
        return local
    folder = osp.join(get_dir(), 'checkpoints')
    path = osp.join(folder, name)

    def fetch():
        if osp.isfile(path):
            return
        os.makedirs(folder, exist_ok=True)
        try:
            download_url_to_file(url, path, progress=os.isatty(0))
        except OSError as err:  # URLError, HTTPError, socket errors
            reason = getattr(err, 'reason', None) or err
            raise CheckpointUnavailableError(
                f'{url} could not be downloaded ({reason}). Get {name} '
                f'where there is internet access and put it in '
                f'{osp.abspath(LOCAL_DIR)}/ (checkpoints/ of the directory '
                f'you run from, where URLs are looked for first), or give '
                f'its path instead of the URL, e.g. --cfg-options '
                f'model.backbone.init_cfg.checkpoint=PATH') from None

    rank, world_size = get_dist_info()
    if rank == 0:
        fetch()
    if world_size > 1:
        barrier()
        if rank > 0:
            fetch()
    return path


def load_from_http(filename, map_location=None):
    return torch_load(_download(filename), map_location, source=filename)


def load_from_torchvision(filename, map_location=None):
    from mmengine.runner.checkpoint import get_torchvision_models
    name = filename.split('://', 1)[1]
    return load_from_http(get_torchvision_models()[name], map_location)


def load_from_openmmlab(filename, map_location=None):
    from mmengine.runner.checkpoint import (_get_mmengine_home,
                                            get_deprecated_model_names,
                                            get_external_models)
    name = filename.split('://', 1)[1]
    name = get_deprecated_model_names().get(name, name)
    url = get_external_models()[name]
    if url.startswith(('http://', 'https://')):
        return load_from_http(url, map_location)
    return load_from_local(osp.join(_get_mmengine_home(), url), map_location)


def load_from_mmcls(filename, map_location=None):
    from mmengine.runner.checkpoint import (_process_mmcls_checkpoint,
                                            get_mmcls_models)
    url = get_mmcls_models()[filename.split('://', 1)[1]]
    return _process_mmcls_checkpoint(load_from_http(url, map_location))


def load_from_pavi(filename, map_location=None):
    from pavi import modelcloud
    model = modelcloud.get(filename[len('pavi://'):])
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, model.name)
        model.download(path)
        return torch_load(path, map_location, source=filename)


def load_from_ceph(filename, map_location=None, backend='petrel'):
    from mmengine.fileio import get_file_backend
    store = get_file_backend(filename, backend_args={'backend': backend})
    with io.BytesIO(store.get(filename)) as buffer:
        return torch_load(buffer, map_location, source=filename)


#: mmengine's checkpoint schemes and the safe loader of each
SCHEMES = (
    ('', load_from_local),
    (('http://', 'https://'), load_from_http),
    (('modelzoo://', 'torchvision://'), load_from_torchvision),
    (('open-mmlab://', 'openmmlab://'), load_from_openmmlab),
    ('mmcls://', load_from_mmcls),
    ('pavi://', load_from_pavi),
    ((r'(\S+\:)?s3://', r'(\S+\:)?petrel://'), load_from_ceph),
)


def load_checkpoint(filename: Union[str, os.PathLike, IO[bytes]],
                    map_location='cpu',
                    trust_checkpoint: bool = False):
    """A checkpoint, loaded safely, from a local path, a binary file object
    or any scheme of mmengine's ``CheckpointLoader`` (``http(s)://``,
    ``torchvision://``, ``open-mmlab://``, ``mmcls://``, ``s3://``, ...).

    Args:
        trust_checkpoint (bool): load the file in full if loading it safely
            fails, with a warning: unpickling it may run code from it.
            Defaults to False (the process's :func:`trust_checkpoints`
            setting holds).
    """
    with trusted(trust_checkpoint):
        if not isinstance(filename, str):
            return torch_load(filename, map_location)
        for prefixes, loader in SCHEMES[1:]:  # the first is '' (local)
            if isinstance(prefixes, str):
                prefixes = (prefixes, )
            if any(re.match(prefix, filename) for prefix in prefixes):
                return loader(filename, map_location)
        return load_from_local(filename, map_location)


def register_safe_loaders(trust: Optional[bool] = None) -> None:
    """Make every scheme of mmengine's ``CheckpointLoader`` (hence the
    Runner's ``load_from``, ``resume``, ``init_cfg`` checkpoints and
    mmengine's ``load_checkpoint``) load safely, through its public
    ``register_scheme``. Idempotent. Called by the entry points (the tools,
    :func:`mmctune.utils.register_all_modules`), never on import.

    Args:
        trust (bool, optional): a tool's ``--trust-checkpoint``, passed to
            :func:`trust_checkpoints`; None leaves the setting as it is.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    for prefixes, loader in SCHEMES:
        CheckpointLoader.register_scheme(prefixes, loader, force=True)
    if trust is not None:
        trust_checkpoints(trust)


def safe_loaders_registered() -> bool:
    """Whether :func:`register_safe_loaders` is in effect."""
    from mmengine.runner.checkpoint import CheckpointLoader
    return CheckpointLoader._get_checkpoint_loader('x.pth') is load_from_local


@contextlib.contextmanager
def trusted(enabled: bool = True):
    """Trust the checkpoints loaded in a ``with`` block (an API's
    ``trust_checkpoint=True``); with ``enabled`` False the process's
    setting (:func:`trust_checkpoints`) holds."""
    before = _trusted
    if enabled:
        trust_checkpoints(True)
    try:
        yield
    finally:
        trust_checkpoints(before)
