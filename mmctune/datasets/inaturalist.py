import json
import os.path as osp

from mmpretrain.datasets import BaseDataset

from mmctune.registry import DATASETS


@DATASETS.register_module()
class INaturalist2018(BaseDataset):
    """iNaturalist 2018 (8,142 species) from its published COCO-style
    annotation files::

        data/inat2018/
        ├── train2018.json
        ├── val2018.json
        └── train_val2018/<kingdom>/<category id>/<image>.jpg

    Each json holds ``images`` (``id``, ``file_name`` relative to
    ``data_root``), ``annotations`` (``image_id``, ``category_id``) and
    ``categories`` (``id``, ``name``). Labels are the category ids (0-based
    and contiguous in the release), class names the species names.

    Args:
        data_root (str): The dataset folder.
        split (str): ``'train'`` or ``'val'``. Defaults to ``'train'``.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``.
    """

    def __init__(self, data_root: str, split: str = 'train', **kwargs):
        if split not in ('train', 'val'):
            raise ValueError(f"split must be 'train' or 'val', got '{split}'")
        self.split = split
        super().__init__(
            ann_file=f'{split}2018.json', data_root=data_root, **kwargs)

    def load_data_list(self):
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{self.ann_file} not found (see docs/data_preparation.md)')
        with open(self.ann_file) as f:
            ann = json.load(f)
        categories = sorted(ann['categories'], key=lambda c: c['id'])
        if [c['id'] for c in categories] != list(range(len(categories))):
            raise ValueError(f'{self.ann_file}: category ids are not 0..N-1')
        if 'classes' not in self._metainfo:
            self._metainfo['classes'] = tuple(c['name'] for c in categories)
        labels = {a['image_id']: a['category_id'] for a in ann['annotations']}
        infos = [
            dict(
                img_path=osp.join(self.data_root, img['file_name']),
                gt_label=int(labels[img['id']])) for img in ann['images']
        ]
        if not infos:
            raise RuntimeError(f'{self.ann_file} lists no images')
        return infos
