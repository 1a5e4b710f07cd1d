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
        data = {
            'data': rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            'labels': list(range(n))
        }
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
        return dict(
            filename='batches.meta',
            key='label_names',
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
    with pytest.raises(
            RuntimeError,
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
    # the same images and labels as mmpretrain reads them
    from mmpretrain.datasets import CIFAR10 as Upstream

    class UpstreamMatching(MatchingCIFAR10, Upstream):
        pass

    ours = MatchingCIFAR10(data_root=str(tmp_path), split='train')
    theirs = Upstream.__new__(UpstreamMatching)
    Upstream.__init__(
        theirs, data_root=str(tmp_path), split='train', download=False)
    for i in range(15):
        a, b = ours.get_data_info(i), theirs.get_data_info(i)
        assert np.array_equal(a['img'], b['img'])
        assert a['gt_label'] == b['gt_label']


def test_a_repacked_copy_reads_only_when_asked(tmp_path):
    """Files that fail their MD5 (a re-packed copy): the error names the
    opt-in, which reads them with a warning."""
    write_cifar10(tmp_path, n=2)
    with pytest.raises(RuntimeError, match='check_md5=False'):
        CIFAR10(data_root=str(tmp_path), split='test')
    data = CIFAR10(data_root=str(tmp_path), split='test', check_md5=False)
    assert len(data) == 2 and data.metainfo['classes'][0] == 'airplane'


class RunsCode:

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_a_batch_file_that_would_run_code_is_not_read(tmp_path):
    write_cifar10(tmp_path, n=2)
    marker = tmp_path / 'ran'
    batch = tmp_path / 'cifar-10-batches-py' / 'test_batch'
    batch.write_bytes(pickle.dumps({'data': RunsCode(marker), 'labels': []}))
    with pytest.raises(pickle.UnpicklingError, match='posix.system'):
        CIFAR10(data_root=str(tmp_path), split='test', check_md5=False)
    assert not marker.exists()
