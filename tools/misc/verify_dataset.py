"""Read every image of a config's datasets before training, as mmpretrain's
``tools/misc/verify_dataset.py`` does, and list the ones that cannot be read:
otherwise a corrupt file stops a run only when training reaches it.

    python tools/misc/verify_dataset.py CONFIG [--splits train val test] \
        [--out-path broken_files.txt]

Each split's dataset is built as the config builds it (wrappers such as a
label fraction or the domains of a domain-generalisation set included), with
its pipeline cut after the step that reads the file (``LoadImageFromFile``);
every sample is then read once. Datasets held in memory (CIFAR, MNIST,
Fashion-MNIST) have no image files: building them checks their files.
Exit status 1 if any image cannot be read; their paths and errors go to
``--out-path``.
"""
import argparse
import copy
import os
import os.path as osp
import sys

from mmengine.config import Config

from mmctune.utils import register_all_modules
from mmctune.utils.cfg_check import check_cfg_options
from mmctune.utils.dict_action import DictAction

LOADERS = ('LoadImageFromFile', )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='the config whose data to read')
    parser.add_argument(
        '--splits',
        nargs='+',
        choices=['train', 'val', 'test'],
        default=['train', 'val', 'test'],
        help='the dataloaders to check (default: all three)')
    parser.add_argument(
        '--out-path',
        default='broken_files.txt',
        help='where to list the images that cannot be read (written only '
        'if there are any)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def reading_only(node) -> int:
    """Cut every ``pipeline`` in a dataset config tree after its file
    reading step (in place); return how many pipelines read files."""
    count = 0
    if isinstance(node, dict):
        pipeline = node.get('pipeline')
        if isinstance(pipeline, (list, tuple)):
            names = [
                str(t.get('type', '')).split('.')[-1]
                if isinstance(t, dict) else '' for t in pipeline
            ]
            cut = [i for i, n in enumerate(names) if n in LOADERS]
            node['pipeline'] = list(pipeline[:cut[0] + 1]) if cut else []
            count += bool(cut)
        for key, value in node.items():
            if key != 'pipeline':
                count += reading_only(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            count += reading_only(value)
    return count


def verify(dataset_cfg):
    """(number of samples, [(index, error)]) of a dataset config, every
    sample read through its file-reading step."""
    from mmctune.registry import DATASETS
    dataset_cfg = copy.deepcopy(dataset_cfg)
    reads_files = reading_only(dataset_cfg)
    dataset = DATASETS.build(dataset_cfg)
    if not reads_files:
        return len(dataset), None
    broken = []
    for i in range(len(dataset)):
        try:
            dataset[i]
        except Exception as err:  # what training would stop on
            broken.append((i, f'{type(err).__name__}: {err}'))
    return len(dataset), broken


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} not found')
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    lines = []
    for split in args.splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            print(f'{split}: the config has no {split}_dataloader')
            continue
        n, broken = verify(loader['dataset'])
        if broken is None:
            print(f'{split}: {n} samples held in memory, their files '
                  'checked when read')
            continue
        print(f'{split}: {n} images read, {len(broken)} could not be')
        lines += [f'{split}\t{i}\t{error}' for i, error in broken]
    if lines:
        os.makedirs(osp.dirname(osp.abspath(args.out_path)), exist_ok=True)
        with open(args.out_path, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        print(f'{len(lines)} images cannot be read: listed in '
              f'{args.out_path}')
    return lines


if __name__ == '__main__':
    sys.exit(1 if main() else 0)
