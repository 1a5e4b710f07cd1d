"""mmctune's CIFAR10/CIFAR100: offline by default, and missing files, corrupt
files and the fix named, on files in the real on-disk format."""
import hashlib
import os
import pickle

import numpy as np
import pytest

from mmctune.datasets import CIFAR10


def write_cifar10(root, n=4):
    """The python version of CIFAR-10 (pickled batches), ``n`` images per
    batch file; returns {file name: md5}."""
    folder = root / 'cifar-10-batches-py'
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    md5 = {}
    names = [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']
    for name in names:
        data = {'data': rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                'labels': list(range(n))}
        (folder / name).write_bytes(pickle.dumps(data))
    meta = {'label_names': [f'c{i}' for i in range(10)]}
    (folder / 'batches.meta').write_bytes(pickle.dumps(meta))
    for name in names + ['batches.meta']:
        md5[name] = hashlib.md5((folder / name).read_bytes()).hexdigest()
    return md5


class MatchingCIFAR10(CIFAR10):
    """CIFAR10 whose expected checksums are those of the fabricated files."""
    md5 = {}

    @property
    def train_list(self):
        return [[f'data_batch_{i}', self.md5[f'data_batch_{i}']]
                for i in range(1, 6)]

    @property
    def test_list(self):
        return [['test_batch', self.md5['test_batch']]]

    @property
    def meta(self):
        return dict(filename='batches.meta', key='label_names',
                    md5=self.md5['batches.meta'])


def test_missing_data_is_named_without_downloading(tmp_path):
    root = tmp_path / 'cifar10'
    with pytest.raises(FileNotFoundError) as e:
        CIFAR10(data_root=str(root), split='train')
    msg = str(e.value)
    assert f'{root}/cifar-10-batches-py lacks data_batch_1' in msg
    assert 'cifar-10-python.tar.gz' in msg
    assert 'docs/data_preparation.md' in msg
    assert 'train_dataloader.dataset.download=True' in msg
    assert not root.exists()  # nothing created, nothing downloaded


def test_corrupt_files_are_told_apart_from_missing_ones(tmp_path):
    write_cifar10(tmp_path)  # real format, but not the release's bytes
    with pytest.raises(RuntimeError,
                       match=r'data_batch_1, .*test_batch.* fail their MD5 '
                       r'check'):
        CIFAR10(data_root=str(tmp_path), split='test')
    os.remove(tmp_path / 'cifar-10-batches-py' / 'test_batch')
    with pytest.raises(FileNotFoundError, match='lacks test_batch'):
        CIFAR10(data_root=str(tmp_path), split='test')


def test_whole_files_load(tmp_path):
    MatchingCIFAR10.md5 = write_cifar10(tmp_path, n=3)
    train = MatchingCIFAR10(data_root=str(tmp_path), split='train')
    test = MatchingCIFAR10(data_root=str(tmp_path), split='test')
    assert (len(train), len(test)) == (15, 3)
    assert test.get_data_info(0)['img'].shape == (32, 32, 3)
