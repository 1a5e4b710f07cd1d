"""Print a config as the tools read it: every ``_base_`` merged in, the
``{{_base_.x}}`` references filled, ``--cfg-options`` applied (as
mmpretrain's ``tools/misc/print_config.py``).

    python tools/misc/print_config.py CONFIG [--cfg-options KEY=VALUE ...]

An option whose top-level key the config does not have (a typo such as
``train_dataloder.batch_size=8``) is refused, as ``tools/train.py`` refuses
it. What ``tools/train.py`` decides at start (the batch per GPU under
several processes, ``--smoke``'s shrinking, the default work dir) is in its
log, not here.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config

from mmctune.utils.cfg_check import check_cfg_options, check_config_keys
from mmctune.utils.dict_action import DictAction


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs (as '
        'tools/train.py takes them)')
    args = parser.parse_args(argv)
    if not osp.isfile(args.config):
        sys.exit(f'config file {args.config} not found')
    cfg = Config.fromfile(args.config)
    check_config_keys(cfg, args.config)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    print(cfg.pretty_text)
    return cfg


if __name__ == '__main__':
    main()
