# Test (and evaluate) a checkpoint, as mmpretrain's tools/test.py does.
import argparse
import os
import os.path as osp
from copy import deepcopy

import mmengine
import torch
from mmengine.config import Config, ConfigDict
from mmengine.evaluator import DumpResults
from mmengine.logging import print_log
from mmengine.registry import RUNNERS

from mmctune import compat
from mmctune.apis import load_model_checkpoint
from mmctune.engine.runner import Runner
from mmctune.utils import silence_known_warnings, unwrap_model
from mmctune.utils.cfg_check import (check_cfg_options, check_config_keys,
                                     check_hook_args, check_model_args,
                                     check_topk, drop_disabled_hooks,
                                     mirror_val_options_to_test)
from mmctune.utils.checkpoint import add_trust_argument, register_safe_loaders
from mmctune.utils.dict_action import DictAction
from mmctune.utils.launch import cap_workers, default_work_dir, set_ddp_wrapper


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument('--out', help='file to write results to (.pkl)')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='what --out holds; defaults to the predictions')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    parser.add_argument(
        '--amp', action='store_true', help='test with mixed precision')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation: the config\'s `tta_pipeline` and '
        '`tta_model`, or else averaged scores of the image and its flip')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable the pin_memory option of the dataloaders')
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
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge CLI arguments into the config."""
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        # val_dataloader.* options reach the test (or are refused), judged
        # on the config as written (before --tta changes the test pipeline)
        for key in mirror_val_options_to_test(cfg, args.cfg_options):
            print_log(
                f'--cfg-options: also set {key} (this config tests '
                f'with its validation settings)',
                logger='current')
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args.config)
    # loaded strictly below, not by the Runner (which loads non-strictly)
    cfg.load_from = None
    cfg.model.get('backbone', {}).pop('init_cfg', None)
    if args.verbose:
        cfg.log_verbose = True
    if args.amp:
        cfg.test_cfg.fp16 = True

    if args.tta:
        if 'tta_model' not in cfg:
            cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
        if 'tta_pipeline' not in cfg:
            test_pipeline = cfg.test_dataloader.dataset.pipeline
            cfg.tta_pipeline = deepcopy(test_pipeline)
            cfg.tta_pipeline[-1] = dict(
                type='mmpretrain.TestTimeAug',
                transforms=[
                    [
                        dict(type='mmpretrain.RandomFlip', prob=1.),
                        dict(type='mmpretrain.RandomFlip', prob=0.)
                    ],
                    [test_pipeline[-1]],
                ])
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    drop_disabled_hooks(cfg)

    if cfg.get('test_dataloader', None) is not None:
        loader = ConfigDict(
            pin_memory=torch.cuda.is_available() and not args.no_pin_memory,
            collate_fn=dict(type='default_collate'))
        loader.update(cfg.test_dataloader)
        cfg.test_dataloader = loader
    return cfg


def main(argv=None):
    args = parse_args(argv)
    silence_known_warnings()
    if args.out is None and args.out_item is not None:
        raise ValueError('--out-item needs --out')
    for path, what in ((args.config, 'config'), (args.checkpoint,
                                                 'checkpoint')):
        if '://' not in path and not osp.isfile(path):
            raise FileNotFoundError(f'{what} file {path} not found')
    register_safe_loaders(trust=args.trust_checkpoint)
    cfg = Config.fromfile(args.config)
    check_config_keys(cfg, args.config)
    cfg = merge_args(cfg, args)
    check_hook_args(cfg)
    check_model_args(cfg)
    check_topk(cfg)
    if args.launcher != 'none':
        set_ddp_wrapper(cfg)
    notes = [cap_workers(cfg)] + compat.setup_cpu_distributed(
        cfg, args.launcher)

    try:
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
            else RUNNERS.build(cfg)
        for note in filter(None, notes):
            runner.logger.warning(note)
        model = unwrap_model(runner.model)
        if args.tta:  # the checkpoint is the model inside the TTA wrapper
            model = model.module
        load_model_checkpoint(model, args.checkpoint, for_prediction=True)
        if args.out and args.out_item in ['pred', None]:
            runner.test_evaluator.metrics.append(
                DumpResults(out_file_path=args.out))
        metrics = runner.test()
    finally:
        compat.destroy_process_group()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)
    return metrics


if __name__ == '__main__':
    main()
