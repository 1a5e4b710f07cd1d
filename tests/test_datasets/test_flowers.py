"""Flowers102Kaggle reads the unpacked Kaggle split "oxford-102-flower-pytorch"
(the Core-tuning paper's Flowers): labels are the folder numbers minus one,
in numeric order, whatever folders a split holds."""
import json

import numpy as np
import pytest
from PIL import Image

from mmctune.datasets import Flowers102Kaggle


def make_kaggle_tree(root, counts):
    """``counts``: {split: {flower number: images}}. Each image's pixel value
    is its flower number, so a test can check labels against content."""
    for split, per_class in counts.items():
        for k, n in per_class.items():
            folder = root / split / str(k)
            folder.mkdir(parents=True)
            for i in range(n):
                Image.fromarray(np.full(
                    (6, 6, 3), k,
                    np.uint8)).save(folder / f'image_{k:05d}_{i}.jpg')
            (folder / 'Thumbs.db').write_text('not an image')
    return root


def all_classes(n):
    return {k: n for k in range(1, 103)}


def test_counts_and_numeric_label_order(tmp_path):
    # 102 classes: a string sort would put 10, 100, 101, 102 before 11
    train = {k: 1 + k % 3 for k in range(1, 103)}
    valid = {k: 1 for k in (1, 2, 10, 11, 100, 102)}  # some classes only
    root = make_kaggle_tree(tmp_path, dict(train=train, valid=valid))
    ds = Flowers102Kaggle(data_root=str(root), split='train')
    assert len(ds) == sum(train.values())
    assert len(ds.CLASSES) == 102
    assert ds.CLASSES[:3] == ('1', '2', '3') and ds.CLASSES[-1] == '102'
    labels = [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]
    assert labels == sorted(labels)  # folders read in numeric order
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        folder = int(info['img_path'].split('/')[-2])
        assert info['gt_label'] == folder - 1
    assert np.bincount(labels).tolist() == [train[k] for k in range(1, 103)]

    test = Flowers102Kaggle(data_root=str(root), split='valid')
    assert test.test_mode
    assert len(test) == 6
    # a split with few folders keeps the numbers' labels: 102 -> 101
    assert [test.get_data_info(i)['gt_label']
            for i in range(len(test))] == [0, 1, 9, 10, 99, 101]


def test_label_matches_image_content(tmp_path):
    root = make_kaggle_tree(tmp_path, dict(train=all_classes(1)))
    ds = Flowers102Kaggle(
        data_root=str(root),
        split='train',
        pipeline=[dict(type='LoadImageFromFile')])
    for i in (0, 9, 10, 101):
        item = ds[i]
        assert int(np.median(item['img'])) - 1 == item['gt_label']


def test_class_names_from_cat_to_name(tmp_path):
    root = make_kaggle_tree(tmp_path, dict(train=all_classes(1)))
    (root / 'cat_to_name.json').write_text(
        json.dumps({
            '1': 'pink primrose',
            '21': 'fire lily'
        }))
    ds = Flowers102Kaggle(data_root=str(root))
    assert ds.CLASSES[0] == 'pink primrose'
    assert ds.CLASSES[20] == 'fire lily'
    assert ds.CLASSES[1] == '2'  # not in the file: the number
    # the archive may keep it beside flower_data/, the data_root
    inner = make_kaggle_tree(tmp_path / 'flower_data',
                             dict(train=all_classes(1)))
    assert Flowers102Kaggle(data_root=str(inner)).CLASSES[20] == 'fire lily'


def test_missing_data_root_names_path_layout_and_docs(tmp_path):
    missing = tmp_path / 'nowhere'
    with pytest.raises(FileNotFoundError) as e:
        Flowers102Kaggle(data_root=str(missing))
    msg = str(e.value)
    assert str(missing) in msg
    assert 'train/<1..102>/*.jpg' in msg and 'valid/<1..102>/*.jpg' in msg
    assert 'docs/data_preparation.md' in msg


def test_missing_split_folder_is_named(tmp_path):
    make_kaggle_tree(tmp_path, dict(train=all_classes(1)))
    with pytest.raises(FileNotFoundError, match=f'{tmp_path}/valid'):
        Flowers102Kaggle(data_root=str(tmp_path), split='valid')


def test_wrong_layout_is_an_error(tmp_path):
    # data_root one level too high: train/ holds the archive's folder
    (tmp_path / 'train' / 'flower_data').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='not flower numbers'):
        Flowers102Kaggle(data_root=str(tmp_path))
    # numbers out of range
    bad = tmp_path / 'other'
    make_kaggle_tree(bad, dict(train={1: 1, 103: 1}))
    with pytest.raises(FileNotFoundError, match='103'):
        Flowers102Kaggle(data_root=str(bad))


def test_no_images_is_an_error(tmp_path):
    make_kaggle_tree(tmp_path, dict(train=all_classes(0)))
    with pytest.raises(FileNotFoundError, match='no images'):
        Flowers102Kaggle(data_root=str(tmp_path))


def test_bad_split(tmp_path):
    with pytest.raises(ValueError, match="'train' or 'valid'"):
        Flowers102Kaggle(data_root=str(tmp_path), split='test')
