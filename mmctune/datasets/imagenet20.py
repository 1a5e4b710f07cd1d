import os
import os.path as osp
from typing import Sequence

from mmpretrain.datasets import BaseDataset

from mmctune.registry import DATASETS

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')

# ImageNette: 10 easily told apart ImageNet classes; ImageWoof: 10 dog breeds.
IMAGENETTE_CLASSES = {
    'n01440764': 'tench',
    'n02102040': 'English springer',
    'n02979186': 'cassette player',
    'n03000684': 'chain saw',
    'n03028079': 'church',
    'n03394916': 'French horn',
    'n03417042': 'garbage truck',
    'n03425413': 'gas pump',
    'n03445777': 'golf ball',
    'n03888605': 'parachute'
}
IMAGEWOOF_CLASSES = {
    'n02086240': 'Shih-Tzu',
    'n02087394': 'Rhodesian ridgeback',
    'n02088364': 'beagle',
    'n02089973': 'English foxhound',
    'n02093754': 'Border terrier',
    'n02096294': 'Australian terrier',
    'n02099601': 'golden retriever',
    'n02105641': 'Old English sheepdog',
    'n02111889': 'Samoyed',
    'n02115641': 'dingo'
}


def scan_class_folders(folder: str,
                       wnids: Sequence[str],
                       first_label: int,
                       extensions=IMG_EXTENSIONS):
    """List ``folder/<wnid>/<image>`` as data infos, labels in ``wnids``
    order starting at ``first_label``; sorted, so the order is the same on
    every machine."""
    infos = []
    for offset, wnid in enumerate(wnids):
        class_dir = osp.join(folder, wnid)
        if not osp.isdir(class_dir):
            raise FileNotFoundError(
                f'class folder {class_dir} is missing (expected one folder '
                f'per WordNet id: {", ".join(wnids)})')
        for name in sorted(os.listdir(class_dir)):
            if name.lower().endswith(extensions):
                infos.append(
                    dict(
                        img_path=osp.join(class_dir, name),
                        gt_label=first_label + offset))
    return infos


@DATASETS.register_module()
class ImageNet20(BaseDataset):
    """ImageNet20 of the Core-tuning paper: ImageNette and ImageWoof together,
    20 classes (ImageNette's 10, then ImageWoof's 10).

    Uses the two archives as published by fast.ai, extracted side by side::

        data/imagenet20/
        ├── imagenette2/{train,val}/n01440764/*.JPEG ...
        └── imagewoof2/{train,val}/n02086240/*.JPEG ...

    Downloads: https://s3.amazonaws.com/fast-ai-imageclas/imagenette2.tgz and
    https://s3.amazonaws.com/fast-ai-imageclas/imagewoof2.tgz
    (docs/data_preparation.md, section ImageNet20, gives the commands).

    Args:
        data_root (str): The folder holding both archives' folders.
        split (str): ``'train'`` or ``'val'``. Defaults to ``'train'``.
        subsets (Sequence[str]): Folder names of ImageNette and ImageWoof
            under ``data_root``; the 160/320 px variants work too
            (``('imagenette2-320', 'imagewoof2-320')``).
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``.
    """
    METAINFO = dict(
        classes=tuple(IMAGENETTE_CLASSES.values()) +
        tuple(IMAGEWOOF_CLASSES.values()))

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 subsets: Sequence[str] = ('imagenette2', 'imagewoof2'),
                 **kwargs):
        if split not in ('train', 'val'):
            raise ValueError(f"split must be 'train' or 'val', got '{split}'")
        if len(subsets) != 2:
            raise ValueError('subsets names the ImageNette and the ImageWoof '
                             f'folders, got {subsets}')
        self.split = split
        self.subsets = tuple(subsets)
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self):
        infos = []
        groups = (list(IMAGENETTE_CLASSES), list(IMAGEWOOF_CLASSES))
        first_label = 0
        for subset, wnids in zip(self.subsets, groups):
            folder = osp.join(self.data_root, subset, self.split)
            if not osp.isdir(folder):
                raise FileNotFoundError(
                    f'{folder} not found: extract imagenette2.tgz and '
                    f'imagewoof2.tgz into {self.data_root} '
                    '(see docs/data_preparation.md)')
            infos += scan_class_folders(folder, wnids, first_label)
            first_label += len(wnids)
        if not infos:
            raise RuntimeError(f'no images found under {self.data_root}')
        return infos
