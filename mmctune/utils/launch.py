"""What ``tools/train.py`` and ``tools/test.py`` decide before the Runner is
built: the default work dir of a config and the batch per process."""
import os
import os.path as osp
from typing import Optional


def default_work_dir(config: str, root: str = './work_dirs') -> str:
    """``work_dirs/<the config's path under configs/, without .py>``, e.g.
    ``work_dirs/coretune/r50_moco_cifar10`` for
    ``configs/coretune/r50_moco_cifar10.py``: unique per config, so that
    ``configs/linear_probe/r50_moco_cifar10.py`` never writes into the
    Core-tuning run's folder. A config outside a ``configs`` folder gets
    ``work_dirs/<its file name>``, as in mmpretrain."""
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
               f'{total // world_size} restores the total {total}'
               if total % world_size == 0 else '')
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
