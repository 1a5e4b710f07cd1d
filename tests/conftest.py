import copy
import functools
import os
import os.path as osp
import socket
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from mmctune.utils.checkpoint import register_safe_loaders

# mmengine's CheckpointLoader loads safely, as in tools/train.py (the
# environment fixes come with the venv's start-up file, tools/setup_env.sh)
register_safe_loaders()

# the byte-code of a module the suite imports is written by the first
# process that imports it, also where PYTHONDONTWRITEBYTECODE is set (as on
# the CI machines): tools/setup_env.sh writes only that of the package's
# imports, and every worker and interpreter the tests start would otherwise
# compile the rest (the docs site's Sphinx, scikit-learn, ...) again
os.environ.pop('PYTHONDONTWRITEBYTECODE', None)
sys.dont_write_bytecode = False

# pytest-xdist runs the suite in several worker processes (setup.cfg): each
# worker, and the interpreters its tests start, gets its share of the cores,
# so that workers do not oversubscribe the machine
if os.environ.get('PYTEST_XDIST_WORKER_COUNT'):
    _threads = max(1, (os.cpu_count() or 1) //
                   int(os.environ['PYTEST_XDIST_WORKER_COUNT']))
    os.environ.setdefault('OMP_NUM_THREADS', str(_threads))
    import torch
    torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def write_idx_fmnist(root, n_train=64, n_test=32, seed=0):
    """A tiny Fashion-MNIST in the real idx format (uncompressed, as
    mmpretrain's ``FashionMNIST`` reads it): class ``c`` images are noise
    around a class-specific brightness, so a model can learn them."""
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    for split, n in (('train', n_train), ('t10k', n_test)):
        labels = np.arange(n, dtype=np.uint8) % 10
        rng.shuffle(labels)
        base = (labels.astype(np.float32) * 25)[:, None, None]
        imgs = np.clip(base + rng.normal(0, 10, (n, 28, 28)), 0, 255)
        with open(osp.join(root, f'{split}-images-idx3-ubyte'), 'wb') as f:
            f.write(struct.pack('>IIII', 2051, n, 28, 28))
            f.write(imgs.astype(np.uint8).tobytes())
        with open(osp.join(root, f'{split}-labels-idx1-ubyte'), 'wb') as f:
            f.write(struct.pack('>II', 2049, n))
            f.write(labels.tobytes())
    return root


@pytest.fixture(autouse=True)
def mmctune_default_scope():
    """Every test starts in the mmctune scope, whatever scope a Runner of an
    earlier test in the same worker process left current (mmengine's
    ``DefaultScope`` is process-global; xdist mixes the tests' order)."""
    from mmengine.registry import DefaultScope

    from mmctune.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmctune'):
        yield


@pytest.fixture(autouse=True)
def untrusted_checkpoints():
    """Every test starts with checkpoints untrusted, whatever a tool run
    in-process with --trust-checkpoint left in this worker."""
    from mmctune.utils.checkpoint import trust_checkpoints
    trust_checkpoints(False)
    yield
    trust_checkpoints(False)


@pytest.fixture(scope='session')
def tiny_fmnist(tmp_path_factory):
    return write_idx_fmnist(str(tmp_path_factory.mktemp('fmnist')))


@pytest.fixture(scope='session')
def tiny_trained(tmp_path_factory):
    """One tiny trained run shared by the whole test session (and by every
    xdist worker, through a lock): ``(config, work_dir, checkpoint)`` of
    ``tools/train.py`` on :func:`write_tiny_config`'s default (the demo's
    CE-tuning config on the tiny Fashion-MNIST, 2 epochs, batch 16). Tests
    read it and write elsewhere."""
    import pathlib

    import filelock
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get('PYTEST_XDIST_WORKER'):
        shared = shared.parent  # the folder all workers share
    shared = pathlib.Path(shared) / 'tiny_trained'
    with filelock.FileLock(str(shared) + '.lock'):
        cfg = str(shared / 'tiny.py')
        work = str(shared / 'work')
        ckpt = osp.join(work, 'epoch_2.pth')
        if not osp.isfile(ckpt):
            shared.mkdir(exist_ok=True)
            data = write_idx_fmnist(str(shared / 'fmnist'))
            write_tiny_config(
                shared / 'tiny.py',
                data,
                extra='train_cfg = dict(max_epochs=2)\n'
                'param_scheduler = dict(T_max=2)')
            r = run_python(args=[
                osp.join(ROOT, 'tools', 'train.py'), cfg, '--work-dir', work
            ])
            assert r.returncode == 0, r.stdout[-3000:]
    return cfg, work, ckpt


def _config_cache_dir():
    """Where the processes of this run share the configs they parsed: a
    folder named by the run's first process (pytest's, or pytest-xdist's
    controller), which its workers inherit in the environment."""
    import tempfile
    os.environ.setdefault(
        'MMCTUNE_TEST_CONFIGS',
        osp.join(tempfile.gettempdir(), f'mmctune-test-configs-{os.getpid()}'))
    return os.environ['MMCTUNE_TEST_CONFIGS']


_config_cache_dir()


@functools.lru_cache(None)
def _loaded_config(path):
    """``Config.fromfile(path)``, parsed by the first worker of the run that
    reads it and pickled for the others (the shipped configs do not change
    during a run; a parse costs about 40 times an unpickling)."""
    import hashlib
    import pickle

    from mmengine.config import Config
    cache = _config_cache_dir()
    entry = osp.join(cache, hashlib.sha1(path.encode()).hexdigest())
    if osp.isfile(entry):
        with open(entry, 'rb') as f:
            return pickle.load(f)
    cfg = Config.fromfile(path)
    os.makedirs(cache, exist_ok=True)
    tmp = f'{entry}.{os.getpid()}'
    with open(tmp, 'wb') as f:
        pickle.dump(cfg, f)
    os.replace(tmp, entry)  # whole or absent, for the other workers
    return cfg


def load_config(path):
    """``Config.fromfile(path)``, parsed once per test run (every shipped
    config is read by several test files): a copy the test may change."""
    return copy.deepcopy(_loaded_config(osp.realpath(path)))


_RUN = dict(start=None, workers_done={})


def pytest_configure(config):
    """openmim creates its cache folder at import if it is missing, checking
    then creating: two test processes importing it at once on a machine
    where it has never run (a fresh CI machine) race, and the second fails
    to collect. Create it first, in the process that starts the others."""
    os.makedirs(osp.join(osp.expanduser('~'), '.cache', 'mim'), exist_ok=True)


def pytest_sessionstart(session):
    _RUN['start'] = time.time()


def pytest_collection_finish(session):
    """What collection imported (torch, the libraries, every test module)
    lives until the end: keep it out of the later garbage collections
    (mmengine's datasets call gc.collect(), which otherwise walks that
    whole heap each time a test builds one)."""
    import gc
    gc.collect()
    gc.freeze()


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_testnodedown(node, error):
    """(pytest-xdist, in the controller) a worker has run its last test."""
    _RUN['workers_done'][node.gateway.id] = time.time()


def pytest_terminal_summary(terminalreporter):
    """When each pytest-xdist worker ran out of tests, from the run's start:
    the gap between them is time one worker sat idle."""
    done = sorted((t - _RUN['start'], worker)
                  for worker, t in _RUN['workers_done'].items())
    if len(done) > 1:
        idle = done[-1][0] - done[0][0]
        terminalreporter.write_line(
            'pytest-xdist workers done at ' +
            ', '.join(f'{t:.1f} s ({worker})' for t, worker in done) +
            f' of the run: the first idle for the last {idle:.1f} s')


def pytest_unconfigure(config):
    """The run's shared configs go with the run (the controller ends last;
    a worker has ``workerinput``)."""
    if not hasattr(config, 'workerinput'):
        import shutil
        shutil.rmtree(_config_cache_dir(), ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _rank_process(rank, port, out, worker, args):
    import torch.distributed as dist
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        out.put((rank, ) + tuple(worker(rank, *args)))
    finally:
        dist.destroy_process_group()


def run_two_processes(worker, *args, timeout=300):
    """``worker(rank, *args)`` in two spawned processes that form a gloo
    process group; each returns a tuple (NumPy arrays, not tensors: a
    tensor would travel as shared memory of a process that has ended).
    Returns ``(rank, *its tuple)`` of each, in rank order, after both
    processes ended without an error."""
    import torch.multiprocessing as mp
    ctx = mp.get_context('spawn')
    out = ctx.Queue()
    port = free_port()
    procs = [
        ctx.Process(
            target=_rank_process, args=(rank, port, out, worker, args))
        for rank in range(2)
    ]
    for p in procs:
        p.start()
    results = sorted((out.get(timeout=timeout) for _ in range(2)),
                     key=lambda r: r[0])
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


_FORK_SERVER = None


def _fork_server():
    """This test process's fork server (tests/forkserver.py), started on
    first use."""
    global _FORK_SERVER
    if _FORK_SERVER is None or _FORK_SERVER.proc.poll() is not None:
        from .forkserver import ForkServer
        _FORK_SERVER = ForkServer()
    return _FORK_SERVER


def run_python(code=None,
               args=(),
               env=None,
               timeout=300,
               cwd=ROOT,
               fresh=False):
    """Run ``python -c code`` in a fresh interpreter, or ``python *args``
    (a script and its arguments) as a fresh interpreter would, forked from
    a process that has imported the libraries once (tests/forkserver.py;
    ``fresh=True``, or ``MMCTUNE_TESTS_NO_FORK=1`` for every run, starts a
    new interpreter: what the imports print is then in the output too);
    return the CompletedProcess (stdout and stderr merged)."""
    full_env = dict(os.environ)
    full_env.pop('MMCTUNE_COMPAT_DISABLE', None)
    full_env.update(env or {})
    cmd = [sys.executable] + (['-c', code] if code is not None else [])
    if (code is None and args and str(args[0]).endswith('.py') and not fresh
            and not os.environ.get('MMCTUNE_TESTS_NO_FORK')):
        import tempfile
        fd, output = tempfile.mkstemp(suffix='.log')
        os.close(fd)
        try:
            returncode, out = _fork_server().run([str(a) for a in args],
                                                 full_env, cwd, timeout,
                                                 output)
        finally:
            os.remove(output)
        return subprocess.CompletedProcess(cmd + list(args), returncode, out,
                                           None)
    return subprocess.run(
        cmd + list(args),
        env=full_env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)


def write_tiny_config(path,
                      data_root,
                      base='configs/baselines/'
                      'ce_r18-tiny_simclr_fmnist.py',
                      extra=''):
    """A config inheriting ``base`` (a Fashion-MNIST config) on the tiny
    Fashion-MNIST at ``data_root``: batch 16, 1 epoch, no pre-training."""
    path.write_text(f"""
_base_ = [{osp.join(ROOT, base)!r}]
model = dict(backbone=dict(init_cfg=None))
train_dataloader = dict(batch_size=16, dataset=dict(
    data_root={data_root!r}, indices=None))
val_dataloader = dict(batch_size=16, dataset=dict(data_root={data_root!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
{extra}
""")
    return str(path)


def train_whole_and_resumed(cfg, tmp_path, stop_options):
    """``tools/train.py cfg`` uninterrupted (in ``tmp_path/whole``), and
    stopped early by ``stop_options`` (``--cfg-options``, e.g. fewer
    epochs) then resumed with ``--resume`` (in ``tmp_path/parts``); each
    run must succeed. Returns the two work dirs and the runs' outputs
    (whole, stopped, resumed)."""
    train = osp.join(ROOT, 'tools', 'train.py')
    whole, parts = str(tmp_path / 'whole'), str(tmp_path / 'parts')
    outputs = []
    for args in ([whole], [parts, '--cfg-options',
                           *stop_options], [parts, '--resume']):
        r = run_python(args=[train, cfg, '--work-dir', *args], timeout=600)
        assert r.returncode == 0, r.stdout[-3000:]
        outputs.append(r.stdout)
    return whole, parts, outputs


def tiny_classifier(type='mmpretrain.ImageClassifier', head=None, **kwargs):
    """A classifier ``type`` around a tiny ResNet-18 (CIFAR stem, 4 base
    channels, 1-channel input, 32-d features) with a 3-class linear head
    (``head`` overrides its keys), seeded and initialised."""
    import torch

    from mmctune.registry import MODELS
    from mmctune.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(0)
    head_cfg = dict(
        type='mmpretrain.LinearClsHead',
        num_classes=3,
        in_channels=32,
        loss=dict(type='mmpretrain.CrossEntropyLoss'))
    head_cfg.update(head or {})
    model = MODELS.build(
        dict(
            type=type,
            backbone=dict(
                type='mmpretrain.ResNet_CIFAR',
                depth=18,
                in_channels=1,
                stem_channels=4,
                base_channels=4,
                out_indices=(3, )),
            neck=dict(type='mmpretrain.GlobalAveragePooling'),
            head=head_cfg,
            **kwargs))
    model.init_weights()
    return model


def noisy_state_dict(sd, scale, seed):
    """``sd`` plus Gaussian noise of std ``scale`` on every float entry."""
    import torch
    g = torch.Generator().manual_seed(seed)
    return {
        k:
        v + scale * torch.randn(v.shape, generator=g)
        if v.is_floating_point() else v.clone()
        for k, v in sd.items()
    }


@pytest.fixture
def ensemble_setup(tiny_fmnist, tmp_path):
    """A tiny config (the demo's CE-tuning on the tiny Fashion-MNIST) whose
    pre-trained backbone is a checkpoint written here, and three
    'fine-tuned' checkpoints of its model."""
    import torch
    from mmengine.config import Config

    from mmctune.registry import MODELS
    cfg_path = write_tiny_config(tmp_path / 'base.py', tiny_fmnist)
    cfg = Config.fromfile(cfg_path)
    cfg.model.backbone.pop('init_cfg', None)
    cfg.model.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(cfg.model)
    model.init_weights()
    sd = model.state_dict()
    pre = str(tmp_path / 'pretrained.pth')
    torch.save(
        dict(
            state_dict={
                k: v
                for k, v in noisy_state_dict(sd, 0.05, 9).items()
                if k.startswith('backbone.')
            }), pre)
    runs = []
    for seed in range(3):
        path = str(tmp_path / f'run{seed}.pth')
        torch.save(
            dict(
                state_dict=noisy_state_dict(sd, 0.05, seed),
                meta=dict(dataset_meta=dict(classes=list('abcdefghij')))),
            path)
        runs.append(path)
    config = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        extra=f"model = dict(backbone=dict(init_cfg=dict(type='Pretrained', "
        f"checkpoint={pre!r}, prefix='backbone.')))\n")
    return config, pre, runs
