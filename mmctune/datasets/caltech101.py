import os
import os.path as osp

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.datasets.categories import CALTECH101_CATEGORIES

from mmctune.registry import DATASETS

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')
DOCS = 'docs/data_preparation.md, "Caltech-101"'


def per_class_split(names, train_per_class: int, seed: int, label: int):
    """Indices into ``names`` (one class's sorted file names) of its
    training images: ``train_per_class`` of them drawn without replacement
    by a generator seeded with ``(seed, label)``, so each class's draw
    depends on nothing but the seed, its label and its files (not on the
    other classes, the file system's listing order or a global RNG)."""
    rng = np.random.default_rng([seed, label])
    return sorted(
        rng.choice(len(names), train_per_class, replace=False).tolist())


@DATASETS.register_module()
class Caltech101RandomSplit(BaseDataset):
    """Caltech-101 in the split of the Core-tuning paper's Table 1: 30
    training images per class, 102 classes (the 101 objects and
    ``BACKGROUND_Google``), 3,060 in all; every other image is a test image
    (6,084 in the paper, as in TensorFlow Datasets' ``caltech101``, whose
    rule this is: 30 random images a class for training, the rest for
    testing). The paper does not publish its draw;
    this one is seeded (:func:`per_class_split`), so it is the same on every
    machine. Reads the release's folders::

        data_root/101_ObjectCategories/<class>/*.jpg     102 class folders

    Labels follow mmpretrain's ``CALTECH101_CATEGORIES`` (the folder names
    sorted), so checkpoints and class names agree with
    ``mmpretrain.Caltech101``, which reads split files instead
    (``meta/train.txt``, ``meta/test.txt``: 3,060 / 6,728 images).

    Args:
        data_root (str): The folder holding ``101_ObjectCategories``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        train_per_class (int): Training images per class. Defaults to 30.
        seed (int): Seed of the draw. Defaults to 0.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``.
    """
    METAINFO = {'classes': CALTECH101_CATEGORIES}

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 train_per_class: int = 30,
                 seed: int = 0,
                 **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f"split must be 'train' or 'test', got '{split}'")
        if train_per_class < 1:
            raise ValueError(
                f'train_per_class must be at least 1, got {train_per_class}')
        self.split = split
        self.train_per_class = train_per_class
        self.seed = seed
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def _layout_error(self, problem: str) -> FileNotFoundError:
        return FileNotFoundError(
            f'Caltech101RandomSplit: {problem}. Expected the Caltech-101 '
            f'release unpacked so that data_root holds '
            f'101_ObjectCategories/<class>/*.jpg, one folder for each of the '
            f'102 classes (BACKGROUND_Google, Faces, ..., yin_yang); set '
            f'data_root to the folder above 101_ObjectCategories ({DOCS}).')

    def load_data_list(self):
        root = osp.join(self.data_root, '101_ObjectCategories')
        if not osp.isdir(root):
            raise self._layout_error(f'{root} not found')
        missing = [
            c for c in CALTECH101_CATEGORIES
            if not osp.isdir(osp.join(root, c))
        ]
        if missing:
            raise self._layout_error(
                f'{root} lacks the class folders {", ".join(missing[:5])}' +
                (f' and {len(missing) - 5} more' if len(missing) > 5 else ''))
        infos = []
        for label, name in enumerate(CALTECH101_CATEGORIES):
            class_dir = osp.join(root, name)
            files = sorted(
                f for f in os.listdir(class_dir)
                if f.lower().endswith(IMG_EXTENSIONS))
            if len(files) <= self.train_per_class:
                raise ValueError(
                    f'Caltech101RandomSplit: {class_dir} holds {len(files)} '
                    f'images, too few for {self.train_per_class} training '
                    f'images and a test set ({DOCS})')
            train = set(
                per_class_split(files, self.train_per_class, self.seed, label))
            for i, f in enumerate(files):
                if (i in train) == (self.split == 'train'):
                    infos.append(
                        dict(img_path=osp.join(class_dir, f), gt_label=label))
        return infos
