"""What ``tools/train.py`` and ``tools/test.py`` decide before the Runner is
built: the default work dir of a config and the batch per process."""
import glob
import os
import os.path as osp
from typing import List, Optional


def default_work_dir(config: str, root: str = './work_dirs') -> str:
    """``work_dirs/<the config's path under its configs folder, without
    .py>``, e.g. ``work_dirs/coretune/r50_moco_cifar10`` for the config
    ``coretune/r50_moco_cifar10.py`` of that folder: unique per config, so
    that the linear probe ``linear_probe/r50_moco_cifar10.py`` never writes
    into the Core-tuning run's folder. A config outside a ``configs`` folder
    gets ``work_dirs/<its file name>``, as in mmpretrain."""
    path = osp.abspath(config)
    parts = path.split(os.sep)
    if 'configs' in parts:
        i = len(parts) - 1 - parts[::-1].index('configs')
        rel = osp.join(*parts[i + 1:])
    else:
        rel = osp.basename(path)
    return osp.join(root, osp.splitext(rel)[0])


def world_size_from_env(launcher: str) -> int:
    """The number of processes a launcher starts, read from the variables it
    sets, before any process group exists."""
    if launcher == 'none':
        return 1
    keys = dict(
        pytorch=('WORLD_SIZE', ),
        slurm=('SLURM_NTASKS', ),
        mpi=('OMPI_COMM_WORLD_SIZE', 'PMI_SIZE'))[launcher]
    for key in keys:
        if key in os.environ:
            return int(os.environ[key])
    raise RuntimeError(f'--launcher {launcher}: none of {keys} is set; start '
                       f'the processes with tools/dist_train.sh or '
                       f'tools/slurm_train.sh')


def fit_total_batch(cfg,
                    world_size: int,
                    batch_from_cli: bool,
                    scale_lr: Optional[bool] = None) -> Optional[str]:
    """Keep the recipe's total batch under any number of processes.

    mmengine's ``train_dataloader.batch_size`` is per process (GPU); every
    mmctune config records its recipe's total batch in
    ``auto_scale_lr.base_batch_size`` and, written for one GPU, sets
    ``batch_size`` to that total. Rules, with ``T`` the total, ``N`` the
    number of processes and ``b`` the per-process batch:

    - ``N * b == T``: nothing to say;
    - the config's own ``b == T`` (not given by ``--cfg-options``) and
      ``N > 1``: ``b`` becomes ``T / N``, so ``dist_train.sh CONFIG 8`` trains
      at the paper's total; an error if ``N`` does not divide ``T``;
    - any other ``b`` (the user's choice, on the command line or in a
      config of theirs): kept, and the returned line says the effective
      batch, whether the learning rate is scaled to it
      (``--auto-scale-lr``) and the override that restores ``T``.

    Changes ``cfg.train_dataloader.batch_size`` in place; returns the line to
    log (or None).
    """
    loader = cfg.get('train_dataloader')
    if loader is None or 'batch_size' not in loader:
        return None
    total = (cfg.get('auto_scale_lr') or {}).get('base_batch_size')
    b = loader['batch_size']
    if total is None:
        return (f'batch: {world_size} process(es) x {b} = {world_size * b} '
                f'(the config records no auto_scale_lr.base_batch_size)')
    if world_size * b == total:
        return None
    if b == total and world_size > 1 and not batch_from_cli:
        if total % world_size:
            raise ValueError(
                f'the recipe\'s total batch {total} '
                f'(auto_scale_lr.base_batch_size) does not split evenly over '
                f'{world_size} processes. Choose the batch per process: '
                f'--cfg-options train_dataloader.batch_size=B trains at '
                f'{world_size} x B (add --auto-scale-lr to scale the '
                f'learning rate by {world_size} x B / {total})')
        loader['batch_size'] = total // world_size
        return (f'batch: the recipe\'s total {total} kept on {world_size} '
                f'processes: {total // world_size} per process '
                f'(train_dataloader.batch_size)')
    if scale_lr is None:
        scale_lr = bool((cfg.get('auto_scale_lr') or {}).get('enable'))
    lr = (f'learning rate scaled by {world_size * b}/{total} '
          f'(--auto-scale-lr)' if scale_lr else
          'learning rate NOT scaled (add --auto-scale-lr to scale it)')
    restore = (f'; --cfg-options train_dataloader.batch_size='
               f'{total // world_size} restores the total {total}' if total %
               world_size == 0 else '')
    return (f'batch: {world_size} process(es) x {b} = {world_size * b}, not '
            f'the recipe\'s total {total} (auto_scale_lr.base_batch_size); '
            f'{lr}{restore}')


def set_ddp_wrapper(cfg) -> dict:
    """The DDP wrapper of a distributed run, set in ``cfg.model_wrapper_cfg``
    unless the config gives its own: mmengine's default (DDP without
    syncing the buffers in every forward pass, ``find_unused_parameters``
    from the config), asked for with torch's current argument
    (``forward_sync_buffers=False``; ``broadcast_buffers=False``, which
    mmengine passes, is deprecated and warns in every process). The BN
    statistics are averaged before each validation and checkpoint instead
    (``SyncNormStatsHook``). Returns the wrapper config."""
    wrapper = cfg.get('model_wrapper_cfg')
    if wrapper:
        return wrapper
    import inspect

    from torch.nn.parallel import DistributedDataParallel
    no_sync = ('forward_sync_buffers'
               if 'forward_sync_buffers' in inspect.signature(
                   DistributedDataParallel.__init__).parameters else
               'broadcast_buffers')
    cfg['model_wrapper_cfg'] = dict(
        type='MMDistributedDataParallel',
        find_unused_parameters=cfg.get('find_unused_parameters', False),
        **{no_sync: False})
    return cfg['model_wrapper_cfg']


def _checkpoints_read(cfg_node, found):
    if isinstance(cfg_node, dict):
        for key, value in cfg_node.items():
            if key == 'checkpoint' and isinstance(value, str):
                found.append(value)
            else:
                _checkpoints_read(value, found)
    elif isinstance(cfg_node, (list, tuple)):
        for value in cfg_node:
            _checkpoints_read(value, found)
    return found


def check_no_overwrite(cfg) -> None:
    """Refuse a training run that reads a checkpoint from the folder it
    writes its own checkpoints to (``work_dir``): it would overwrite
    ``epoch_N.pth``, ``best_*.pth`` and ``last_checkpoint`` there, e.g. a
    linear probe of a fine-tuned checkpoint run with the fine-tuning's work
    dir. Resuming (``resume=True``) reads from its work dir by design."""
    reads = _checkpoints_read(cfg.get('model'), [])
    if cfg.get('load_from') and not cfg.get('resume'):
        reads.append(cfg.load_from)
    work_dir = osp.realpath(cfg.work_dir)
    for path in reads:
        if '://' in path:
            continue
        if osp.dirname(osp.realpath(path)) == work_dir:
            raise ValueError(
                f'the run reads the checkpoint {path} from its own work dir '
                f'{cfg.work_dir}, where it writes its checkpoints: it would '
                f'overwrite it. Give the run another folder with --work-dir')


def cap_workers(cfg) -> Optional[str]:
    """Data loaders asking for more worker processes than the cores this
    process may use (a config written for a GPU node run on a laptop) get
    that many, with a line to log; torch would warn in every run. The
    workers only load data: the samples are the same, and the augmentations
    draw from per-worker seeds, as with any other number of workers."""
    cores = len(os.sched_getaffinity(0)) if hasattr(
        os, 'sched_getaffinity') else (os.cpu_count() or 1)
    capped = []
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader and (loader.get('num_workers') or 0) > cores:
            capped.append(f'{split} {loader["num_workers"]}')
            loader['num_workers'] = cores
    if not capped:
        return None
    return (f'data loader workers capped at the {cores} core(s) this process '
            f'may use (the config asks for {", ".join(capped)})')


def earlier_run_files(work_dir: str) -> List[str]:
    """The checkpoints and ``last_checkpoint`` an earlier run left in
    ``work_dir``."""
    found = [osp.basename(p) for p in glob.glob(osp.join(work_dir, '*.pth'))]
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        found.append('last_checkpoint')
    return sorted(found)


def check_new_run(cfg, smoke: bool = False) -> Optional[str]:
    """A run that does not resume starts in a work dir without an earlier
    run's checkpoints: mmengine would write beside them (a new
    ``last_checkpoint``, a second ``best_*.pth``, ``max_keep_ckpts`` deleting
    the old run's files), and ``--resume`` would later pick either run.
    ``--smoke`` clears its own scratch folder's (``<work dir>_smoke``) and
    says so; any other run is refused.

    Returns the line to log, or None.

    Raises:
        FileExistsError: naming the files and the three ways on.
    """
    if cfg.get('resume'):
        return None
    work_dir = cfg.work_dir
    found = earlier_run_files(work_dir)
    if not found:
        return None
    if smoke and work_dir.rstrip('/').endswith('_smoke'):
        for name in found:
            try:  # every process of a distributed smoke run clears
                os.remove(osp.join(work_dir, name))
            except FileNotFoundError:
                pass
        return (f'--smoke: removed the earlier smoke run\'s checkpoints from '
                f'{work_dir} ({", ".join(found)})')
    raise FileExistsError(
        f'the work dir {work_dir} holds an earlier run\'s checkpoints '
        f'({", ".join(found[:6])}{" ..." if len(found) > 6 else ""}); a new '
        f'run would mix with them. Continue that run with --resume, give '
        f'this one its own folder with --work-dir, or remove those files')


#: scheduler arguments that are positions or lengths in the run (epochs or
#: iterations, as the scheduler counts)
SPAN_KEYS = ('begin', 'end', 'T_max', 'milestones', 'step_size', 'total_steps')


def _schedulers(node) -> list:
    """The scheduler dicts of ``param_scheduler`` (a dict, a list, or a dict
    of lists per optimizer)."""
    if isinstance(node, dict) and 'type' in node:
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _schedulers(v)]
    if isinstance(node, (list, tuple)):
        return [s for v in node for s in _schedulers(v)]
    return []


def _run_length(cfg):
    """(length, by_epoch) of the training loop, or None."""
    loop = cfg.get('train_cfg') or {}
    if 'max_epochs' in loop:
        return loop['max_epochs'], True
    if 'max_iters' in loop:
        return loop['max_iters'], False
    return None


def _span_end(s):
    """Where a scheduler's change ends, as written: ``end``, else the end of
    a cosine's period (``begin + T_max``); None if neither is given (mmengine
    then ends it with the run)."""
    if s.get('end') is not None:
        return s['end']
    if s.get('T_max') is not None:
        return s.get('begin', 0) + s['T_max']
    return None


def fit_schedule(cfg, options=None) -> Optional[str]:
    """Keep the learning-rate schedule's shape when the run's length changes.

    A config's schedule ends where its run does (a cosine with ``T_max`` of
    the config's epochs, a poly decay to ``end``); a run made shorter or
    longer (``train_cfg.max_epochs=3``, ``--smoke``, a config inheriting one)
    would otherwise keep the old span: the cosine would stop near its start
    instead of at its minimum. When the schedulers counted in the run's unit
    end at ``E`` and the run at ``L != E``, their ``begin``, ``end``,
    ``T_max``, ``milestones``, ``step_size`` and ``total_steps`` are scaled
    by ``L / E`` (an ``ExponentialLR`` with an ``end`` keeps its total decay:
    ``gamma ** (E / L)``); epoch values stay whole unless the scheduler is
    ``convert_to_iter_based``. Schedulers counted in the other unit (a
    warm-up of so many iterations in an epoch-based run) are kept.

    A span given in ``options`` (``--cfg-options param_scheduler.T_max=...``)
    is the user's: kept, and the returned line says that it differs.

    Changes ``cfg`` in place; returns the line to log (or None).

    Raises:
        ValueError: a scaled schedule that does not fit in whole epochs (a
            stage would last no epoch), naming the option that sets it.
    """
    length = _run_length(cfg)
    if length is None:
        return None
    run, by_epoch = length
    unit = 'epochs' if by_epoch else 'iterations'
    scheds = [
        s for s in _schedulers(cfg.get('param_scheduler'))
        if bool(s.get('by_epoch', True)) == by_epoch
    ]
    ends = [e for e in map(_span_end, scheds) if e is not None]
    if not ends or max(ends) == run:
        return None
    written = max(ends)
    given = [
        k for k in options or {} if k.startswith('param_scheduler')
        and k.rsplit('.', 1)[-1] in SPAN_KEYS + ('gamma', )
    ]
    if given:
        return (f'param_scheduler: the schedule ends at {written} {unit} '
                f'and the run at {run}, as --cfg-options {", ".join(given)} '
                'sets: kept')
    ratio = run / written
    changes = []
    for s in scheds:
        whole = not (by_epoch and s.get('convert_to_iter_based'))
        before = {k: s[k] for k in SPAN_KEYS if s.get(k) is not None}
        for key, value in before.items():
            if key == 'milestones':
                s[key] = [max(1, round(m * ratio)) for m in value]
            else:
                scaled = value * ratio
                s[key] = round(
                    scaled) if whole or float(scaled).is_integer() else scaled
        if s.get('type') == 'ExponentialLR' and 'end' in before:
            s['gamma'] = s['gamma']**(1 / ratio)
            before['gamma'] = 'kept total decay'
        if s.get('end') is not None and s.get('begin', 0) >= s['end']:
            raise ValueError(
                f'param_scheduler: the run has {run} {unit} and the schedule '
                f'{written}; scaled to the run, {s["type"]} would last no '
                f'{unit[:-1]} (begin {s.get("begin", 0)}, end {s["end"]}). '
                f'Give its span: --cfg-options param_scheduler... (begin, '
                f'end, T_max) or set convert_to_iter_based=True')
        shown = [
            f'{k} {v!r}->{s[k]!r}' if k != 'gamma' else 'gamma scaled'
            for k, v in before.items() if k == 'gamma' or v != s[k]
        ]
        if shown:
            changes.append(f'{s["type"]} ' + ', '.join(shown))
    return (f'param_scheduler: written for {written} {unit}, fitted to the '
            f'run\'s {run}: {"; ".join(changes)}')
