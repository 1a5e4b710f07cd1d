"""Image grids of a dataset split as the model gets its images: after the
config's pipeline (its random augmentations drawn as in training), each
with its class (as mmpretrain's ``tools/visualization/browse_dataset.py``,
which writes one file per image).

    python tools/visualization/browse_dataset.py CONFIG \
        [--phase train] [--show-number 32] [--mode transformed] \
        [--output-dir DIR] [--rows 4 --columns 8] [--cfg-options ...]

Writes ``DIR/<phase>_<k>.png`` (default DIR: ``work_dirs/browse/<config
name>``), ``--rows`` x ``--columns`` images each, the first
``--show-number`` images of the split in order. ``--mode``:
``transformed`` (after the whole pipeline: what ``PackInputs`` hands to the
model, before the data preprocessor's normalisation), ``original`` (as
read: the first image the pipeline sees), ``concat`` (both, side by side).
Images are shown in RGB: a config whose data preprocessor converts BGR to
RGB (``to_rgb=True``: the configs that read files) has its images flipped
for the picture, as the model gets them; grey images stay grey. A
pipeline that makes several views of an image (contrastive pre-training)
gives one cell per view.
"""
import argparse
import math
import os
import os.path as osp
import random
import sys

import matplotlib
import numpy as np

matplotlib.use('Agg')
import matplotlib.pyplot as plt
import torch
from mmengine.config import Config
from mmengine.dataset import Compose

from mmctune.registry import DATASETS
from mmctune.utils import register_all_modules
from mmctune.utils.cfg_check import check_cfg_options
from mmctune.utils.dict_action import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--phase',
        '-p',
        choices=['train', 'val', 'test'],
        default='train',
        help='which dataloader\'s dataset (default: train)')
    parser.add_argument(
        '--show-number',
        '-n',
        type=int,
        default=32,
        help='how many images, from the first (default: 32)')
    parser.add_argument(
        '--mode',
        '-m',
        choices=['transformed', 'original', 'concat'],
        default='transformed',
        help='after the pipeline (default), as read, or both')
    parser.add_argument(
        '--output-dir', '-o', help='default: work_dirs/browse/<config name>')
    parser.add_argument('--rows', type=int, default=4)
    parser.add_argument('--columns', type=int, default=8)
    parser.add_argument(
        '--seed', type=int, default=0, help='of the random augmentations')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    return parser.parse_args(argv)


class InspectCompose(Compose):
    """The dataset's pipeline, keeping the first image it sees (``img`` of
    the input, or of the first transform that reads one)."""

    def __init__(self, transforms):
        super().__init__(transforms)
        self.original = None

    def __call__(self, data):
        self.original = _copy(data['img']) if 'img' in data else None
        for t in self.transforms:
            data = t(data)
            if data is None:
                return None
            if self.original is None and 'img' in data:
                self.original = _copy(data['img'])
        return data


def _copy(img):
    return [np.array(i) for i in img] if isinstance(img, list) else \
        np.array(img)


def innermost(dataset):
    """The dataset under the wrappers (``LabelFraction``, mmengine's
    ``ClassBalancedDataset``, ...): the one with the pipeline."""
    while not hasattr(dataset, 'pipeline') and hasattr(dataset, 'dataset'):
        dataset = dataset.dataset
    if not hasattr(dataset, 'pipeline'):
        raise TypeError(f'{type(dataset).__name__} has no pipeline to '
                        'inspect (and wraps no dataset that has one)')
    return dataset


def converts_to_rgb(cfg) -> bool:
    """Whether the model's data preprocessor swaps BGR to RGB."""
    pre = cfg.model.get('data_preprocessor') or cfg.get(
        'data_preprocessor') or {}
    return bool(pre.get('to_rgb', pre.get('bgr_to_rgb', False)))


def as_picture(img, flip: bool) -> np.ndarray:
    """An image array (HxW, HxWxC, or a packed CxHxW tensor) as HxW or
    HxWx3 uint8 for imshow, its channels reversed if ``flip``."""
    if isinstance(img, torch.Tensor):
        img = img.numpy()
        img = img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 3 and flip:
        img = img[..., ::-1]
    return np.clip(img, 0, 255).astype(np.uint8)


def collect(dataset, number, mode, flip):
    """``[(picture, caption), ...]`` of the first ``number`` items of
    ``dataset`` (see the module's docstring for ``mode``)."""
    inner = innermost(dataset)
    pipeline = InspectCompose(inner.pipeline.transforms)
    inner.pipeline = pipeline
    classes = dataset.metainfo.get('classes')
    cells = []
    for i in range(min(number, len(dataset))):
        item = dataset[i]
        sample = item['data_samples']
        name = str(i)
        if 'gt_label' in sample:
            label = int(sample.gt_label[0])
            name = f'{i}: ' + (classes[label] if classes else str(label))
        views = item['inputs'] if isinstance(item['inputs'], list) else \
            [item['inputs']]
        originals = pipeline.original if isinstance(
            pipeline.original, list) else [pipeline.original]
        for v, view in enumerate(views):
            tag = f' (view {v})' if len(views) > 1 else ''
            if mode in ('original', 'concat'):
                if v < len(originals) and originals[v] is not None:
                    cells.append((as_picture(originals[v],
                                             flip), f'{name}{tag}, as read'))
            if mode in ('transformed', 'concat'):
                cells.append((as_picture(view, flip), name + tag))
    return cells


def write_grids(cells, out_dir, phase, rows, columns, title):
    """Write ``cells`` as ``rows`` x ``columns`` grids; returns the files."""
    os.makedirs(out_dir, exist_ok=True)
    per_grid = rows * columns
    files = []
    for k in range(math.ceil(len(cells) / per_grid)):
        part = cells[k * per_grid:(k + 1) * per_grid]
        n_rows = math.ceil(len(part) / columns)
        fig, axes = plt.subplots(
            n_rows,
            columns,
            figsize=(1.6 * columns, 1.8 * n_rows + 0.4),
            dpi=100,
            squeeze=False)
        for ax in axes.flat:
            ax.axis('off')
        for ax, (img, caption) in zip(axes.flat, part):
            ax.imshow(
                img, cmap='gray' if img.ndim == 2 else None, vmin=0, vmax=255)
            ax.set_title(
                f'{caption}\n{img.shape[1]}x{img.shape[0]}', fontsize=7)
        fig.suptitle(title, fontsize=9)
        fig.tight_layout()
        path = osp.join(out_dir, f'{phase}_{k}.png')
        fig.savefig(path)
        plt.close(fig)
        files.append(path)
    return files


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.config):
        sys.exit(f'config file {args.config} not found')
    if args.show_number < 1 or args.rows < 1 or args.columns < 1:
        sys.exit('--show-number, --rows and --columns must be at least 1')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    loader = cfg.get(f'{args.phase}_dataloader')
    if not loader:
        sys.exit(f'{args.config} has no {args.phase}_dataloader; choose '
                 'another --phase')
    register_all_modules()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    dataset = DATASETS.build(loader.dataset)
    cells = collect(dataset, args.show_number, args.mode, converts_to_rgb(cfg))
    out_dir = args.output_dir or osp.join(
        'work_dirs', 'browse',
        osp.splitext(osp.basename(args.config))[0])
    what = {
        'transformed': 'after the pipeline',
        'original': 'as read',
        'concat': 'as read and after the pipeline'
    }[args.mode]
    files = write_grids(
        cells, out_dir, args.phase, args.rows, args.columns,
        f'{osp.basename(args.config)}, {args.phase}: the first '
        f'{min(args.show_number, len(dataset))} of {len(dataset)} images, '
        f'{what}')
    print(f'{len(cells)} images of the {args.phase} split ({what}) in '
          f'{", ".join(files)}')
    return cells, files


if __name__ == '__main__':
    main()
