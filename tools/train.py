# Train a model from a config, as mmpretrain's tools/train.py does.
import argparse
import os
import os.path as osp
from copy import deepcopy

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import RUNNERS

from mmctune import compat
from mmctune.engine.hooks.checkpoint_hook import (find_resume_checkpoint,
                                                  is_whole_checkpoint)
from mmctune.engine.runner import Runner
from mmctune.utils import silence_known_warnings
from mmctune.utils.cfg_check import (check_cfg_options, check_config_keys,
                                     check_hook_args, check_model_args,
                                     check_optimizer, check_topk,
                                     drop_disabled_hooks)
from mmctune.utils.checkpoint import add_trust_argument, register_safe_loaders
from mmctune.utils.dict_action import DictAction
from mmctune.utils.launch import (cap_workers, check_new_run,
                                  check_no_overwrite, default_work_dir,
                                  fit_schedule, fit_total_batch,
                                  set_ddp_wrapper, world_size_from_env)
from mmctune.utils.smoke import describe as describe_smoke
from mmctune.utils.smoke import smoke_cfg


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If a checkpoint path is given, resume from it; without a path, '
        'resume from the latest checkpoint in the work directory (an error '
        'if it has none).')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='check the config end to end in a short run: 1 epoch, 16 '
        'images per split, batch 4, images shrunk to 64 px, no workers '
        '(mmctune.utils.smoke.smoke_cfg); writes to <work dir>_smoke; '
        '--cfg-options still apply on top')
    parser.add_argument(
        '--diagnose',
        action='store_true',
        help='also write what the run does at every iteration (each loss '
        'term, learning rate, gradient norm and distance from the start of '
        'each part of the model, BN statistics: TrainDiagnosticsHook) to '
        '<work dir>/<time stamp>/diagnostics.jsonl; the config\'s own hooks '
        'stay')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual total batch size over '
        '`auto_scale_lr.base_batch_size` of the config')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable the pin_memory option of the dataloaders')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable the persistent_workers option of the dataloaders')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs '
        '(e.g. train_dataloader.batch_size=32 model.backbone.depth=101); a '
        'list is key="[a,b]" or key=a,b, without white space')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help='print the config, the environment and the hook order (they '
        'always go to the log file)')
    add_trust_argument(parser)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or
    # --local_rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge CLI arguments into the config; returns ``(cfg, notes)``, the
    lines to log about what was adapted."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    cfg.launcher = args.launcher

    # work_dir: CLI > config > ./work_dirs/<config path under configs/>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args.config)
    if args.smoke:
        if args.work_dir is None:  # never into a real run's folder
            cfg.work_dir = cfg.work_dir.rstrip('/') + '_smoke'
    smoke = smoke_cfg(cfg) if args.smoke else None

    if args.verbose:
        cfg.log_verbose = True
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise KeyError(f'--auto-scale-lr needs `auto_scale_lr = dict('
                           f'base_batch_size=...)` in {args.config}')
        cfg.auto_scale_lr.enable = True

    default_dataloader_cfg = ConfigDict(
        pin_memory=torch.cuda.is_available(),
        persistent_workers=True,
        collate_fn=dict(type='default_collate'),
    )

    def set_default_dataloader_cfg(cfg, field):
        if cfg.get(field, None) is None:
            return
        dataloader_cfg = deepcopy(default_dataloader_cfg)
        dataloader_cfg.update(cfg[field])
        if dataloader_cfg.get('num_workers', 0) == 0:
            # torch refuses persistent workers without workers
            dataloader_cfg.persistent_workers = False
        cfg[field] = dataloader_cfg
        if args.no_pin_memory:
            cfg[field]['pin_memory'] = False
        if args.no_persistent_workers:
            cfg[field]['persistent_workers'] = False

    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)

    if args.diagnose:
        cfg.custom_hooks = list(cfg.get('custom_hooks')
                                or []) + [dict(type='TrainDiagnosticsHook')]
    drop_disabled_hooks(cfg)
    set_default_dataloader_cfg(cfg, 'train_dataloader')
    set_default_dataloader_cfg(cfg, 'val_dataloader')
    set_default_dataloader_cfg(cfg, 'test_dataloader')
    notes = describe_smoke(cfg, smoke) if smoke is not None else []
    if args.diagnose:
        notes.append('--diagnose: every iteration\'s record goes to '
                     'diagnostics.jsonl beside the log (compare runs with '
                     '.dev_scripts/benchmarks/diagnose_runs.py)')
    # the learning-rate schedule ends with the run, however long it is
    notes.append(fit_schedule(cfg, args.cfg_options))
    return cfg, notes


def merge_resume(cfg, args):
    """``--resume``: how this run starts, not part of the experiment (the
    work dir's config copy leaves it out)."""
    if args.resume == 'auto':
        # the checkpoint last_checkpoint names, checked whole; an error if
        # the work dir has none (mmengine would silently start afresh)
        cfg.resume = True
        cfg.load_from = find_resume_checkpoint(cfg.work_dir)
    elif args.resume is not None:
        if not osp.exists(args.resume):
            raise FileNotFoundError(f'--resume: no checkpoint {args.resume}')
        if not is_whole_checkpoint(args.resume):
            raise RuntimeError(f'--resume: the checkpoint {args.resume} is '
                               f'truncated or corrupt')
        cfg.resume = True
        cfg.load_from = args.resume


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} not found')
    register_safe_loaders(trust=args.trust_checkpoint)
    silence_known_warnings()
    cfg = Config.fromfile(args.config)
    check_config_keys(cfg, args.config)
    cfg, notes = merge_args(cfg, args)
    check_hook_args(cfg)
    check_model_args(cfg)
    check_optimizer(cfg)
    check_topk(cfg)
    # the experiment, as a config that trains it again: what follows adapts
    # the run to this machine and launch (Runner.experiment_cfg)
    experiment = deepcopy(cfg)
    merge_resume(cfg, args)
    check_no_overwrite(cfg)
    notes.append(check_new_run(cfg, smoke=args.smoke))
    notes.append(cap_workers(cfg))
    # the recipe's total batch under any number of processes (see
    # mmctune.utils.launch.fit_total_batch and docs/get_started.md)
    batch_from_cli = 'train_dataloader.batch_size' in (args.cfg_options or {})
    if args.launcher != 'none':
        set_ddp_wrapper(cfg)
    notes += [
        fit_total_batch(cfg, world_size_from_env(args.launcher),
                        batch_from_cli)
    ] + compat.setup_cpu_distributed(cfg, args.launcher)

    try:
        if 'runner_type' not in cfg:
            runner = Runner.from_cfg(cfg)
        else:
            runner = RUNNERS.build(cfg)
        for note in filter(None, notes):
            runner.logger.warning(note)
        runner.experiment_cfg = experiment
        runner.train()
    finally:
        compat.destroy_process_group()
    return runner


if __name__ == '__main__':
    main()
