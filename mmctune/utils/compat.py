"""Compatibility fixes for the OpenMMLab stack mmctune runs on.

Each fix below answers one measured failure of the pinned CPU stack
(``requirements/lock-cpu.txt``). A fix is a pair: ``needed()`` says whether
the installed stack has the problem, ``apply()`` mends it. :func:`apply_all`
(called when ``mmctune`` is imported) applies only the fixes whose problem is
present, so on a GPU machine with a CUDA torchvision, full mmcv, numpy 1 and
an older setuptools nothing is touched. ``APPLIED`` lists what was applied;
``python -m mmctune.utils.collect_env`` prints it, and the environment
variable ``MMCTUNE_COMPAT_DISABLE=name[,name]`` turns fixes off.

The fixes:

``torchvision_ops``
    torchvision 0.28.0 exists only as a CUDA build. With the CPU torch its
    ``_C`` extension cannot load, and ``import torchvision`` then fails with
    ``RuntimeError: operator torchvision::nms does not exist`` (it registers
    fake kernels for ``nms``/``qnms`` unconditionally). ``mmpretrain.models``
    imports torchvision. Fix: declare the two operator schemas so the import
    succeeds; calling a compiled torchvision op still raises torchvision's
    own "Couldn't load custom C++ ops" error.
``mmcv_lite_ops``
    mmseg 1.2.2 imports ``mmcv.ops`` at package import (``point_sample``,
    ``sigmoid_focal_loss``), which loads the compiled ``mmcv._ext`` that
    mmcv-lite lacks, so ``import mmseg.models`` fails. Fix: an ``mmcv.ops``
    module that serves the pure-PyTorch ``point_sample`` from mmcv's own
    source and raises a clear ``ModuleNotFoundError`` (an ImportError) for
    every compiled op.
``torch_load_weights_only``
    torch >= 2.6 loads with ``weights_only=True``; resuming an mmengine
    0.10.7 checkpoint then fails with ``UnpicklingError ... Unsupported
    global: mmengine.logging.history_buffer.HistoryBuffer``. Fix: mmengine's
    local-file checkpoint loader passes ``weights_only=False``, as mmengine's
    own pending fix does (see :func:`load_from_local`).
``cpu_distributed``
    Without CUDA, mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and
    keeps the config's ``nccl`` backend, the Runner gives DDP
    ``device_ids=[rank]`` and SyncBN refuses CPU tensors. Fix: pick ``gloo``,
    skip ``set_device``, give DDP no device ids, turn SyncBN back into BN
    when the model is on the CPU, and destroy the gloo group at exit (a
    process that exits with one alive can abort).
``numpy2_hue``
    Under numpy 2, ``np.uint8(negative)`` raises, so mmcv's ``adjust_hue``
    (mmpretrain's ``ColorJitter`` with a hue) fails with ``OverflowError`` for
    every negative hue shift. Fix: wrap the shift modulo 256 first, which is
    what numpy 1 did.
``setuptools_pkg_resources``
    setuptools >= 81 has no ``pkg_resources``; mmengine needs it to resolve
    ``mmpretrain::``-style config paths. Fix: the same look-ups through
    :mod:`importlib.metadata`.
"""
import atexit
import functools
import glob
import importlib
import importlib.metadata
import importlib.util
import os
import os.path as osp
import sys
import types
import warnings

import numpy as np
import torch

APPLIED = []


# ---------------------------------------------------------------------------
# torchvision's compiled ops
# ---------------------------------------------------------------------------
_TV_LIB = None  # keeps the torch.library fragment alive


def _torchvision_ops_needed():
    if 'torchvision' in sys.modules:
        return False
    spec = importlib.util.find_spec('torchvision')
    if spec is None or not spec.submodule_search_locations:
        return False
    libs = []
    for folder in spec.submodule_search_locations:
        libs += glob.glob(osp.join(folder, '_C.*so')) + glob.glob(
            osp.join(folder, '_C.pyd'))
    if not libs:
        return True
    try:
        torch.ops.load_library(libs[0])
    except (OSError, RuntimeError):
        return True
    return False


def _torchvision_ops_apply():
    global _TV_LIB
    _TV_LIB = torch.library.Library('torchvision', 'FRAGMENT')
    for name in ('nms', 'qnms'):
        _TV_LIB.define(
            f'{name}(Tensor dets, Tensor scores, float iou_threshold) '
            '-> Tensor')


# ---------------------------------------------------------------------------
# mmcv-lite has no compiled ops
# ---------------------------------------------------------------------------
_MMCV_FULL_HINT = (
    'needs mmcv\'s compiled ops, which mmcv-lite does not have. Build full '
    'mmcv with `MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=2 pip install '
    '--no-build-isolation --no-deps mmcv==2.1.0` (docs/get_started.md).')


def _mmcv_lite_ops_needed():
    if 'mmcv.ops' in sys.modules or importlib.util.find_spec('mmcv') is None:
        return False
    return importlib.util.find_spec('mmcv._ext') is None


def _mmcv_lite_ops_apply():
    import mmcv
    ops_dir = osp.join(osp.dirname(mmcv.__file__), 'ops')
    ops = types.ModuleType('mmcv.ops', 'mmcv.ops without compiled ops '
                           '(mmcv-lite); served by mmctune.utils.compat')
    ops.__path__ = [ops_dir]  # lets pure-Python submodules import
    ops.__file__ = osp.join(ops_dir, '__init__.py')
    ops.__package__ = 'mmcv.ops'
    sys.modules['mmcv.ops'] = ops
    mmcv.ops = ops
    point_sample = importlib.import_module('mmcv.ops.point_sample')
    ops.point_sample = point_sample.point_sample
    ops.bilinear_grid_sample = point_sample.bilinear_grid_sample

    def sigmoid_focal_loss(*args, **kwargs):
        raise RuntimeError(f'mmcv.ops.sigmoid_focal_loss {_MMCV_FULL_HINT}')

    ops.sigmoid_focal_loss = sigmoid_focal_loss

    def __getattr__(name):
        if name.startswith('__'):
            raise AttributeError(name)
        # ModuleNotFoundError: what mmseg's optional imports catch
        raise ModuleNotFoundError(f'mmcv.ops.{name} {_MMCV_FULL_HINT}')

    ops.__getattr__ = __getattr__
    # mmcv's transformer bricks warn on import that mmcv-lite lacks this op;
    # expected here, and said once in the docs instead of on every run.
    warnings.filterwarnings(
        'ignore', message='Fail to import ``MultiScaleDeformableAttention``')


# ---------------------------------------------------------------------------
# torch.load(weights_only=True) and mmengine checkpoints
# ---------------------------------------------------------------------------
def _weights_only_needed():
    import inspect
    if 'weights_only' not in inspect.signature(torch.load).parameters:
        return False
    major, minor = (int(x) for x in torch.__version__.split('.')[:2])
    if (major, minor) < (2, 6):
        return False
    from mmengine.runner import checkpoint
    # an mmengine release with the fix passes weights_only itself
    return 'weights_only' not in inspect.getsource(checkpoint.load_from_local)


def load_from_local(filename, map_location):
    """mmengine's loader for local checkpoint files, with
    ``weights_only=False`` as in mmengine's own fix (open-mmlab/mmengine PR
    1650): a Runner checkpoint pickles its ``MessageHub`` (``HistoryBuffer``
    objects whose statistic methods pickle through ``builtins.getattr``), so
    allow-listing its globals would mean allow-listing ``getattr``. As with
    any mmengine checkpoint, load only files you trust."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def _weights_only_apply():
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)


# ---------------------------------------------------------------------------
# distributed training without CUDA
# ---------------------------------------------------------------------------
def _cpu_distributed_needed():
    return not torch.cuda.is_available()


def _destroy_process_group():
    """Destroy the default group while the interpreter is still whole: a
    process that exits with a live gloo group can abort (SIGABRT,
    "terminate called without an active exception") when gloo's worker
    threads release tensors during interpreter finalisation
    (pytorch/pytorch#190489)."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _gloo_init(init_fn):
    """Wrap one of mmengine's ``_init_dist_*`` functions for CUDA-less
    machines: force the gloo backend and skip ``torch.cuda.set_device``."""

    @functools.wraps(init_fn)
    def wrapper(backend='gloo', *args, **kwargs):
        if backend != 'gloo':
            warnings.warn(f'CUDA is not available: using the "gloo" backend '
                          f'instead of "{backend}".')
        set_device = torch.cuda.set_device
        torch.cuda.set_device = lambda device: None
        try:
            result = init_fn('gloo', *args, **kwargs)
        finally:
            torch.cuda.set_device = set_device
        atexit.register(_destroy_process_group)
        return result

    wrapper.__mmctune_compat__ = True
    return wrapper


def _cpu_distributed_apply():
    import mmengine.dist.utils as dist_utils
    from mmengine.model import (MMDistributedDataParallel,
                                revert_sync_batchnorm)
    for name in ('_init_dist_pytorch', '_init_dist_slurm', '_init_dist_mpi'):
        fn = getattr(dist_utils, name)
        if not getattr(fn, '__mmctune_compat__', False):
            setattr(dist_utils, name, _gloo_init(fn))

    ddp_init = MMDistributedDataParallel.__init__
    if getattr(ddp_init, '__mmctune_compat__', False):
        return

    @functools.wraps(ddp_init)
    def __init__(self, module, *args, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu:
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
            module = revert_sync_batchnorm(module)
        ddp_init(self, module, *args, **kwargs)

    __init__.__mmctune_compat__ = True
    MMDistributedDataParallel.__init__ = __init__


# ---------------------------------------------------------------------------
# numpy 2 and mmcv's adjust_hue
# ---------------------------------------------------------------------------
def _numpy2_hue_needed():
    return int(np.__version__.split('.')[0]) >= 2


def adjust_hue(img, hue_factor, backend=None):
    """mmcv's ``adjust_hue`` with the hue shift wrapped into ``[0, 255]``
    before it becomes a ``uint8``, as numpy 1 did implicitly (numpy 2 raises
    ``OverflowError`` for a negative shift). Otherwise unchanged."""
    import cv2
    from mmcv.image import photometric
    from PIL import Image

    if backend is None:
        backend = photometric.imread_backend
    if backend not in ['cv2', 'pillow']:
        raise ValueError(f'backend: {backend} is not supported.'
                         f"Supported backends are 'cv2', 'pillow'")
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and (img.ndim in {2, 3})):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    shift = np.uint8(int(hue_factor * 255) % 256)

    if backend == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        pil_image = Image.fromarray(img[..., ::-1], mode='RGB')
        input_mode = pil_image.mode
        if input_mode in {'L', '1', 'I', 'F'}:
            return pil_image
        h, s, v = pil_image.convert('HSV').split()
        np_h = np.array(h, dtype=np.uint8)
        with np.errstate(over='ignore'):
            np_h += shift
        h = Image.fromarray(np_h, 'L')
        pil_image = Image.merge('HSV', (h, s, v)).convert(input_mode)
        return np.array(pil_image, dtype=img.dtype)[..., ::-1]
    dtype = img.dtype
    img = img.astype(np.uint8)
    hsv_img = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)
    h, s, v = cv2.split(hsv_img)
    h = h.astype(np.uint8)
    with np.errstate(over='ignore'):
        h += shift
    hsv_img = cv2.merge([h, s, v])
    return cv2.cvtColor(hsv_img, cv2.COLOR_HSV2BGR_FULL).astype(dtype)


def _numpy2_hue_apply():
    import mmcv
    import mmcv.image
    from mmcv.image import photometric
    for module in (mmcv, mmcv.image, photometric):
        module.adjust_hue = adjust_hue


# ---------------------------------------------------------------------------
# setuptools >= 81: no pkg_resources
# ---------------------------------------------------------------------------
def _pkg_resources_needed():
    return importlib.util.find_spec('pkg_resources') is None


def is_installed(package):
    """``mmengine.utils.is_installed`` without ``pkg_resources``."""
    try:
        importlib.metadata.distribution(package)
        return True
    except importlib.metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(package)
        return spec is not None and spec.origin is not None


def package2module(package):
    """``mmengine.utils.package2module`` without ``pkg_resources``."""
    top_level = importlib.metadata.distribution(package).read_text(
        'top_level.txt')
    if top_level:
        return top_level.split('\n')[0]
    raise ValueError(f'can not infer the module name of {package}')


def get_installed_path(package):
    """``mmengine.utils.get_installed_path`` without ``pkg_resources``."""
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(package)
        if spec is None:
            raise
        if spec.origin is None:
            raise RuntimeError(f'{package} is a namespace package, which is '
                               'invalid for `get_install_path`')
        return osp.dirname(spec.origin)
    location = str(dist.locate_file(''))
    possible_path = osp.join(location, package)
    if osp.exists(possible_path):
        return possible_path
    return osp.join(location, package2module(package))


def _pkg_resources_apply():
    import mmengine.config.config as config_module
    import mmengine.utils as utils_module
    import mmengine.utils.package_utils as package_utils
    for module in (package_utils, utils_module, config_module):
        for fn in (is_installed, get_installed_path, package2module):
            if hasattr(module, fn.__name__):
                setattr(module, fn.__name__, fn)


FIXES = {
    'torchvision_ops': (_torchvision_ops_needed, _torchvision_ops_apply),
    'mmcv_lite_ops': (_mmcv_lite_ops_needed, _mmcv_lite_ops_apply),
    'torch_load_weights_only': (_weights_only_needed, _weights_only_apply),
    'cpu_distributed': (_cpu_distributed_needed, _cpu_distributed_apply),
    'numpy2_hue': (_numpy2_hue_needed, _numpy2_hue_apply),
    'setuptools_pkg_resources': (_pkg_resources_needed, _pkg_resources_apply),
}


def disabled():
    """Fixes named in ``MMCTUNE_COMPAT_DISABLE`` (comma-separated): a knob
    for debugging and for the tests that show each failure without its fix."""
    names = {n.strip() for n in os.environ.get(
        'MMCTUNE_COMPAT_DISABLE', '').split(',') if n.strip()}
    unknown = names - set(FIXES)
    if unknown:
        raise ValueError(f'MMCTUNE_COMPAT_DISABLE names unknown fixes '
                         f'{sorted(unknown)}; known: {sorted(FIXES)}')
    return names


def apply_all():
    """Apply every fix whose problem is present; idempotent."""
    off = disabled()
    for name, (needed, apply) in FIXES.items():
        if name not in APPLIED and name not in off and needed():
            apply()
            APPLIED.append(name)
    return list(APPLIED)
