"""Caltech101RandomSplit: the paper's Caltech-101 split, 30 training images a
class and every other image for testing, drawn the same way on every
machine."""
import os

import numpy as np
import pytest
from mmpretrain.datasets.categories import CALTECH101_CATEGORIES

from mmctune.datasets import Caltech101RandomSplit
from mmctune.datasets.caltech101 import per_class_split


def make_release(root, counts, skip=()):
    """``101_ObjectCategories/<class>/image_XXXX.jpg``, ``counts[c]`` images
    for class index ``c`` (empty files: the dataset lists them, the pipeline
    reads them)."""
    top = root / '101_ObjectCategories'
    for label, name in enumerate(CALTECH101_CATEGORIES):
        if name in skip:
            continue
        (top / name).mkdir(parents=True)
        for i in range(counts[label]):
            (top / name / f'image_{i + 1:04d}.jpg').touch()
    (top / 'BACKGROUND_Google' / 'tmp').write_text('not an image')
    return root


def paths(ds):
    return [ds.get_data_info(i)['img_path'] for i in range(len(ds))]


@pytest.fixture(scope='module')
def release(tmp_path_factory):
    counts = [31 + (c * 7) % 40 for c in range(102)]
    return make_release(tmp_path_factory.mktemp('caltech'), counts), counts


def test_thirty_per_class_and_the_rest_for_testing(release):
    root, counts = release
    train = Caltech101RandomSplit(data_root=str(root), split='train')
    test = Caltech101RandomSplit(data_root=str(root), split='test')
    assert train.CLASSES == CALTECH101_CATEGORIES and len(train.CLASSES) == 102
    assert len(train) == 102 * 30 == 3060
    assert len(test) == sum(counts) - 3060
    train_labels = [
        train.get_data_info(i)['gt_label'] for i in range(len(train))
    ]
    test_labels = [test.get_data_info(i)['gt_label'] for i in range(len(test))]
    assert np.bincount(train_labels, minlength=102).tolist() == [30] * 102
    assert np.bincount(test_labels, minlength=102).tolist() == \
        [n - 30 for n in counts]
    # disjoint, together every image of the release (the .txt skipped)
    assert not set(paths(train)) & set(paths(test))
    everything = {
        os.path.join(dp, f)
        for dp, _, fs in os.walk(root / '101_ObjectCategories')
        for f in fs if f.endswith('.jpg')
    }
    assert set(paths(train)) | set(paths(test)) == everything
    # labels are the folders' places in mmpretrain's class list
    for i in range(0, len(test), 97):
        info = test.get_data_info(i)
        folder = os.path.basename(os.path.dirname(info['img_path']))
        assert CALTECH101_CATEGORIES[info['gt_label']] == folder
    assert test.test_mode and not train.test_mode


def test_paper_counts_on_a_release_sized_tree(tmp_path):
    """With 9,144 images in 102 folders (the release as TensorFlow Datasets
    counts it): 3,060 / 6,084, the paper's Table 1 split."""
    counts = [31] * 102
    counts[0] = 9144 - 31 * 101  # BACKGROUND_Google takes the rest
    root = make_release(tmp_path, counts)
    assert len(Caltech101RandomSplit(data_root=str(root))) == 3060
    assert len(Caltech101RandomSplit(data_root=str(root), split='test')) == \
        6084


def test_the_draw_is_seeded_per_class(release):
    root, _ = release
    a = paths(Caltech101RandomSplit(data_root=str(root)))
    assert a == paths(Caltech101RandomSplit(data_root=str(root)))
    b = paths(Caltech101RandomSplit(data_root=str(root), seed=1))
    assert a != b
    # not the first 30 files: a random draw
    names = [f'image_{i + 1:04d}.jpg' for i in range(50)]
    picked = per_class_split(names, 30, seed=0, label=3)
    assert len(set(picked)) == 30 and picked != list(range(30))
    # a class's draw does not depend on the other classes
    assert per_class_split(names, 30, 0, 3) == per_class_split(names, 30, 0, 3)
    assert per_class_split(names, 30, 0, 3) != per_class_split(names, 30, 0, 4)


def test_train_per_class_is_an_argument(release):
    root, _ = release
    assert len(Caltech101RandomSplit(data_root=str(root),
                                     train_per_class=5)) == 5 * 102


def test_missing_root_names_path_layout_and_docs(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        Caltech101RandomSplit(data_root=str(tmp_path / 'nowhere'))
    msg = str(e.value)
    assert str(tmp_path / 'nowhere' / '101_ObjectCategories') in msg
    assert '101_ObjectCategories/<class>/*.jpg' in msg
    assert 'docs/data_preparation.md' in msg


def test_missing_class_folders_are_named(tmp_path):
    make_release(tmp_path, [31] * 102, skip=('yin_yang', ))
    with pytest.raises(FileNotFoundError, match='yin_yang'):
        Caltech101RandomSplit(data_root=str(tmp_path))


def test_too_small_class_is_an_error(tmp_path):
    counts = [31] * 102
    counts[5] = 30  # nothing left to test
    make_release(tmp_path, counts)
    with pytest.raises(ValueError, match=CALTECH101_CATEGORIES[5]):
        Caltech101RandomSplit(data_root=str(tmp_path))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='split'):
        Caltech101RandomSplit(data_root=str(tmp_path), split='val')
    with pytest.raises(ValueError, match='train_per_class'):
        Caltech101RandomSplit(data_root=str(tmp_path), train_per_class=0)
