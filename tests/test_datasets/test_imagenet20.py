import os

import numpy as np
import pytest
from PIL import Image

from mmctune.datasets import ImageNet20
from mmctune.datasets.imagenet20 import IMAGENETTE_CLASSES, IMAGEWOOF_CLASSES


def make_tree(root, per_class=2, skip=()):
    for subset, wnids in (('imagenette2', IMAGENETTE_CLASSES),
                          ('imagewoof2', IMAGEWOOF_CLASSES)):
        for split in ('train', 'val'):
            for wnid in wnids:
                if wnid in skip:
                    continue
                folder = root / subset / split / wnid
                folder.mkdir(parents=True)
                for i in range(per_class):
                    Image.fromarray(np.zeros(
                        (8, 8, 3), np.uint8)).save(folder / f'{wnid}_{i}.JPEG')
                (folder / 'notes.txt').write_text('not an image')
    return root


def test_twenty_classes_in_order(tmp_path):
    ds = ImageNet20(data_root=str(make_tree(tmp_path)), split='val')
    assert len(ds.CLASSES) == 20
    assert ds.CLASSES[0] == 'tench' and ds.CLASSES[10] == 'Shih-Tzu'
    assert len(ds) == 40  # 2 images a class; the .txt files are skipped
    labels = [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]
    assert sorted(set(labels)) == list(range(20))
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        wnid = os.path.basename(os.path.dirname(info['img_path']))
        expected = (list(IMAGENETTE_CLASSES) +
                    list(IMAGEWOOF_CLASSES)).index(wnid)
        assert info['gt_label'] == expected


def test_missing_class_folder_is_named(tmp_path):
    make_tree(tmp_path, skip=('n02099601', ))
    with pytest.raises(FileNotFoundError, match='n02099601'):
        ImageNet20(data_root=str(tmp_path))


def test_missing_dataset_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match='imagenette2.tgz'):
        ImageNet20(data_root=str(tmp_path))


def test_empty_dataset_is_an_error(tmp_path):
    make_tree(tmp_path, per_class=0)
    with pytest.raises(RuntimeError, match='no images'):
        ImageNet20(data_root=str(tmp_path))


def test_bad_split():
    with pytest.raises(ValueError, match='split'):
        ImageNet20(data_root='x', split='test')
