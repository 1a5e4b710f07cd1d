"""Every compatibility measure mmctune takes for the stack it runs on, in
one place. Importing ``mmctune`` (or this module) applies none of them:
mmcv, mmengine, torch and torchvision stay as installed until an entry point
asks.

Environment fixes: the CPU virtual environment of ``tools/setup_env.sh``
    That environment pairs PyPI's torchvision (a CUDA build) with a CPU torch
    and mmcv-lite (no compiled ops). ``tools/setup_env.sh`` writes the
    start-up file ``mmctune-cpu-env.pth`` into the environment's
    site-packages, which calls :func:`install_environment_hooks`: import
    hooks that act at the first import of ``torchvision`` or ``mmcv.ops``,
    and only where the problem exists, so every script of that environment
    works, not only mmctune's. A GPU install with a matching torchvision and
    full mmcv has no such file and needs none of it.

    ``torchvision_ops``
        With a CPU torch, the CUDA build's ``torchvision._C`` cannot load,
        and ``import torchvision`` fails with ``RuntimeError: operator
        torchvision::nms does not exist`` (it registers fake kernels for
        ``nms``/``qnms`` unconditionally); ``mmpretrain.models`` imports
        torchvision. Fix: declare the two operator schemas before
        torchvision is imported; calling a compiled torchvision op still
        raises torchvision's own "Couldn't load custom C++ ops".
    ``mmcv_lite_ops``
        mmseg 1.2.2 imports ``mmcv.ops`` at package import (``point_sample``,
        ``sigmoid_focal_loss``), which loads the compiled ``mmcv._ext`` that
        mmcv-lite lacks, so ``import mmseg.models`` fails. Fix: the import of
        ``mmcv.ops`` is served by a module with the pure-PyTorch
        ``point_sample`` of mmcv's own source, which raises a clear
        ``ModuleNotFoundError`` (an ImportError) for every compiled op.

Checkpoint loading is not a compatibility measure: mmctune loads every
checkpoint with torch's ``weights_only`` loader and an explicit allow-list
(:mod:`mmctune.utils.checkpoint`), which the entry points register with
mmengine's ``CheckpointLoader``.

Distributed runs without CUDA: :func:`setup_cpu_distributed`
    No patch: ``tools/train.py`` and ``tools/test.py`` set mmengine's public
    options when a run is launched on several processes and CUDA is absent
    (the gloo backend, DDP without device ids, BN for SyncBN) and create the
    process group themselves, which mmengine's ``init_dist`` would do with a
    ``torch.cuda.set_device`` call that a CPU torch refuses.

Removed, with the pins that make them needless (``requirements/lock-cpu.txt``
keeps numpy < 2 and setuptools < 81): a numpy-2 rewrite of mmcv's
``adjust_hue`` and a ``pkg_resources`` replacement for mmengine's package
look-ups.

``MMCTUNE_COMPAT_DISABLE=name[,name]`` turns fixes off (for debugging, and
for the tests that show each failure without its fix);
``python -m mmctune.utils.collect_env`` prints which fixes are active.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import os
import os.path as osp
import sys
import warnings

ENVIRONMENT_FIXES = ('torchvision_ops', 'mmcv_lite_ops')

#: names of the fixes applied in this process, in order
APPLIED = []


def disabled():
    """Fixes named in ``MMCTUNE_COMPAT_DISABLE`` (comma-separated)."""
    names = {
        n.strip()
        for n in os.environ.get('MMCTUNE_COMPAT_DISABLE', '').split(',')
        if n.strip()
    }
    unknown = names - set(ENVIRONMENT_FIXES)
    if unknown:
        raise ValueError(
            f'MMCTUNE_COMPAT_DISABLE names unknown fixes {sorted(unknown)}; '
            f'known: {sorted(ENVIRONMENT_FIXES)}')
    return names


# ---------------------------------------------------------------------------
# environment fixes
# ---------------------------------------------------------------------------
_TV_LIB = None  # keeps the torch.library fragment alive


def torchvision_ops_needed():
    """Whether torchvision is installed and its compiled ops cannot load
    beside the installed torch."""
    spec = importlib.util.find_spec('torchvision')
    if spec is None or not spec.submodule_search_locations:
        return False
    import glob

    import torch
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


def _declare_torchvision_ops():
    global _TV_LIB
    import torch
    _TV_LIB = torch.library.Library('torchvision', 'FRAGMENT')
    for name in ('nms', 'qnms'):
        _TV_LIB.define(
            f'{name}(Tensor dets, Tensor scores, float iou_threshold) '
            '-> Tensor')


def mmcv_lite_ops_needed():
    """Whether mmcv is installed without its compiled ops (mmcv-lite)."""
    if importlib.util.find_spec('mmcv') is None:
        return False
    return importlib.util.find_spec('mmcv._ext') is None


_MMCV_FULL_HINT = (
    'needs mmcv\'s compiled ops, which mmcv-lite does not have. Build full '
    'mmcv with `MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=2 pip install '
    '--no-build-isolation --no-deps mmcv==2.1.0` (docs/get_started.md).')


class _MMCVLiteOpsLoader(importlib.abc.Loader):
    """Makes ``mmcv.ops`` for mmcv-lite: mmcv's pure-PyTorch
    ``point_sample`` and a clear error for every compiled op."""

    def create_module(self, spec):
        return None  # a plain module

    def exec_module(self, module):
        import importlib
        point_sample = importlib.import_module('mmcv.ops.point_sample')
        module.point_sample = point_sample.point_sample
        module.bilinear_grid_sample = point_sample.bilinear_grid_sample

        def sigmoid_focal_loss(*args, **kwargs):
            raise RuntimeError(
                f'mmcv.ops.sigmoid_focal_loss {_MMCV_FULL_HINT}')

        module.sigmoid_focal_loss = sigmoid_focal_loss

        def __getattr__(name):
            if name.startswith('__'):
                raise AttributeError(name)
            # ModuleNotFoundError: what mmseg's optional imports catch
            raise ModuleNotFoundError(f'mmcv.ops.{name} {_MMCV_FULL_HINT}')

        module.__getattr__ = __getattr__
        # mmcv's transformer bricks warn on import that mmcv-lite lacks this
        # op; expected here, and said once in docs/get_started.md instead
        warnings.filterwarnings(
            'ignore',
            message='Fail to import ``MultiScaleDeformableAttention``')


class _EnvironmentFinder(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` entry that applies an environment fix at the first
    import of the module it concerns, where the problem exists."""

    def __init__(self, names):
        self.pending = set(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname == 'torchvision' and 'torchvision_ops' in self.pending:
            self.pending.discard('torchvision_ops')
            if torchvision_ops_needed():
                _declare_torchvision_ops()
                APPLIED.append('torchvision_ops')
            return None  # torchvision itself is found as usual
        if fullname == 'mmcv.ops' and 'mmcv_lite_ops' in self.pending:
            self.pending.discard('mmcv_lite_ops')
            if mmcv_lite_ops_needed():
                APPLIED.append('mmcv_lite_ops')
                ops_dir = osp.join(path[0], 'ops')
                spec = importlib.machinery.ModuleSpec(
                    'mmcv.ops',
                    _MMCVLiteOpsLoader(),
                    origin=osp.join(ops_dir, '__init__.py'),
                    is_package=True)
                spec.submodule_search_locations = [ops_dir]
                return spec
        return None


def install_environment_hooks():
    """Install the import hooks of the environment fixes (idempotent). Called
    by the start-up file that ``tools/setup_env.sh`` writes; nothing is
    imported or changed until ``torchvision`` or ``mmcv.ops`` is."""
    if any(isinstance(f, _EnvironmentFinder) for f in sys.meta_path):
        return
    names = [n for n in ENVIRONMENT_FIXES if n not in disabled()]
    if 'torchvision' in sys.modules:
        names = [n for n in names if n != 'torchvision_ops']
    if 'mmcv.ops' in sys.modules:
        names = [n for n in names if n != 'mmcv_lite_ops']
    if names:
        sys.meta_path.insert(0, _EnvironmentFinder(names))


# ---------------------------------------------------------------------------
# distributed runs without CUDA: public settings, no patch
# ---------------------------------------------------------------------------
def _bn_for_syncbn(cfg):
    """Replace ``type='SyncBN'`` by ``'BN'`` in a config tree, in place;
    return how many were replaced."""
    count = 0
    if isinstance(cfg, dict):
        if cfg.get('type') == 'SyncBN':
            cfg['type'] = 'BN'
            count += 1
        for value in cfg.values():
            count += _bn_for_syncbn(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            count += _bn_for_syncbn(value)
    return count


def setup_cpu_distributed(cfg, launcher: str) -> list:
    """Prepare a run launched on several processes (``launcher`` other than
    ``'none'``) on a machine without CUDA, through public settings only, and
    create its process group. Does nothing where CUDA is available or the
    launcher is ``'none'``. Returns what was changed, one line each, for the
    log.

    - ``env_cfg.dist_cfg.backend``: ``'gloo'`` (NCCL needs CUDA);
    - the process group is created here with that backend and the config's
      timeout, from torchrun's ``RANK``/``WORLD_SIZE``/``MASTER_ADDR``/
      ``MASTER_PORT``: mmengine's ``init_dist`` (which the Runner skips when
      a group exists) would call ``torch.cuda.set_device``;
    - ``model_wrapper_cfg``: DDP with ``device_ids=None`` (CPU modules take
      no device ids);
    - ``SyncBN`` in ``cfg.model`` becomes ``BN``: SyncBatchNorm needs GPU
      tensors. Each process then normalises over its own part of the batch.

    Call :func:`destroy_process_group` when the run ends: a process that
    exits with a live gloo group can abort (SIGABRT, "terminate called
    without an active exception", pytorch/pytorch#190489).
    """
    import torch
    if launcher == 'none' or torch.cuda.is_available():
        return []
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} without CUDA: mmctune runs CPU processes '
            'with torchrun only (`bash tools/dist_train.sh CONFIG N`, '
            '--launcher pytorch)')
    import datetime

    import torch.distributed as dist
    notes = []
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') != 'gloo':
        notes.append(f'CUDA is not available: the "gloo" backend instead of '
                     f'"{dist_cfg.get("backend", "nccl")}"')
        dist_cfg['backend'] = 'gloo'
    from mmctune.utils.launch import set_ddp_wrapper
    wrapper = set_ddp_wrapper(cfg)
    wrapper['device_ids'] = None
    cfg['model_wrapper_cfg'] = wrapper
    replaced = _bn_for_syncbn(cfg.get('model'))
    if replaced:
        notes.append(f'CUDA is not available: {replaced} SyncBN layer '
                     f'config(s) built as BN')
    if not dist.is_initialized():
        kwargs = {}
        if dist_cfg.get('timeout') is not None:
            kwargs['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
        dist.init_process_group(backend='gloo', **kwargs)
    return notes


def destroy_process_group():
    """Destroy the default process group, if any, while the interpreter is
    still whole (see :func:`setup_cpu_distributed`)."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
