import json
import os
import os.path as osp

from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

from mmctune.registry import DATASETS

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')
NUM_FLOWER_CLASSES = 102
DOCS = 'docs/data_preparation.md, "Oxford 102 Flowers"'


@DATASETS.register_module()
class Flowers102Kaggle(BaseDataset):
    """Oxford 102 Flowers in the split the Core-tuning paper uses (Tables 1
    and 2): the Kaggle split "oxford-102-flower-pytorch", 6,552 training
    and 818 test images, against 2,040 / 6,149 in the official trainval /
    test split (mmpretrain's ``Flowers102``). Read as unpacked
    (``kaggle competitions download -c oxford-102-flower-pytorch``; the
    archive's ``flower_data/`` is ``data_root``)::

        data_root/
        ├── train/1/*.jpg ... train/102/*.jpg   6,552 images
        └── valid/1/*.jpg ... valid/102/*.jpg     818 images (test set)

    Class folders are numbered 1-102, and the label of ``<split>/<k>/`` is
    ``k - 1``: sorted as numbers, not as strings (a string sort,
    mmpretrain's ``CustomDataset``, would put ``10`` second and number each
    split's classes by the folders that split happens to hold). Class
    names come from a ``cat_to_name.json`` (folder number -> flower name,
    distributed with this split) in ``data_root`` or the folder above it
    where there is one, else they are the numbers.

    Args:
        data_root (str): The folder holding ``train/`` and ``valid/``.
        split (str): ``'train'`` or ``'valid'``. Defaults to ``'train'``.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``.
    """

    def __init__(self, data_root: str, split: str = 'train', **kwargs):
        if split not in ('train', 'valid'):
            raise ValueError(
                f"split must be 'train' or 'valid' (the paper's test set), "
                f"got '{split}'")
        self.split = split
        kwargs.setdefault('test_mode', split == 'valid')
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def _layout_error(self, problem: str) -> FileNotFoundError:
        return FileNotFoundError(
            f'Flowers102Kaggle: {problem}. Expected the unpacked Kaggle '
            f'split "oxford-102-flower-pytorch": data_root holds '
            f'train/<1..102>/*.jpg and valid/<1..102>/*.jpg (the archive\'s '
            f'flower_data/ folder); set data_root to that folder ({DOCS}, '
            f'which also gives the official split\'s dataset config).')

    def _class_names(self):
        names = [str(k) for k in range(1, NUM_FLOWER_CLASSES + 1)]
        for folder in (self.data_root,
                       osp.dirname(osp.abspath(self.data_root))):
            path = osp.join(folder, 'cat_to_name.json')
            if osp.isfile(path):
                with open(path) as f:
                    mapping = json.load(f)
                return tuple(mapping.get(n, n) for n in names)
        return tuple(names)

    def load_data_list(self):
        if not osp.isdir(self.data_root):
            raise self._layout_error(f'{self.data_root} not found')
        folder = osp.join(self.data_root, self.split)
        if not osp.isdir(folder):
            raise self._layout_error(
                f'{folder} not found (the {self.split} split)')
        entries = sorted(
            d for d in os.listdir(folder) if osp.isdir(osp.join(folder, d)))
        bad = [
            d for d in entries
            if not d.isdigit() or not 1 <= int(d) <= NUM_FLOWER_CLASSES
        ]
        if bad or not entries:
            what = (f'{folder} holds folders that are not flower numbers '
                    f'1-{NUM_FLOWER_CLASSES}: {", ".join(bad[:5])}'
                    if bad else f'{folder} holds no class folders')
            raise self._layout_error(what)
        missing = sorted(
            set(range(1, NUM_FLOWER_CLASSES + 1)) - {int(d)
                                                     for d in entries})
        if missing:
            MMLogger.get_current_instance().warning(
                f'Flowers102Kaggle: {folder} has no folder for the flower '
                f'numbers {missing} (no {self.split} images of those classes)')
        if 'classes' not in self._metainfo:
            self._metainfo['classes'] = self._class_names()
        infos = []
        for d in sorted(entries, key=int):
            class_dir = osp.join(folder, d)
            for name in sorted(os.listdir(class_dir)):
                if name.lower().endswith(IMG_EXTENSIONS):
                    infos.append(
                        dict(
                            img_path=osp.join(class_dir, name),
                            gt_label=int(d) - 1))
        if not infos:
            raise self._layout_error(f'no images found under {folder}')
        return infos
