"""mmpretrain's CIFAR datasets that never download by default, say what is
wrong with the files they find, and read them without running code."""
import os.path as osp
import pickle

import numpy as np
from mmengine.logging import print_log
from mmpretrain.datasets import CIFAR10 as _CIFAR10
from mmpretrain.datasets import CIFAR100 as _CIFAR100
from mmpretrain.datasets.utils import check_md5

from mmctune.registry import DATASETS


class _ArraysOnly(pickle.Unpickler):
    """Unpickles what the python version of CIFAR holds (dicts, lists,
    strings, numpy arrays) and refuses any other global, before it runs:
    the batch files are pickles, and a copy from elsewhere could carry
    code."""
    ALLOWED = {('numpy.core.multiarray', '_reconstruct'),
               ('numpy._core.multiarray', '_reconstruct'),
               ('numpy.core.multiarray', 'scalar'),
               ('numpy._core.multiarray', 'scalar'), ('numpy', 'ndarray'),
               ('numpy', 'dtype')}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(
                f'the file asks for the Python global {module}.{name}, '
                'which CIFAR\'s batches do not hold; unpickling it could '
                'run code, so it is not read')
        return super().find_class(module, name)


def read_batch(path: str) -> dict:
    """A CIFAR batch file, unpickled with only array globals allowed."""
    with open(path, 'rb') as f:
        try:
            return _ArraysOnly(f, encoding='latin1').load()
        except pickle.UnpicklingError as err:
            raise pickle.UnpicklingError(f'{path}: {err}') from None


class _CheckedFiles:
    """Before the files are read: name the missing ones and the corrupt ones
    (their MD5 differs from the release's), the folder they were looked for
    in, and the fix. mmpretrain says "Cannot find" for both and, with
    ``download=True`` (its default), tries the network first. Here
    ``download`` defaults to False: a run never reaches for the network
    unless asked.

    The batches are then read with :func:`read_batch` (only arrays, lists
    and dicts are unpickled). ``check_md5=False`` reads files that fail
    their MD5 check (a re-packed copy of the same images), with a warning
    that names them."""

    def __init__(self,
                 *args,
                 download: bool = False,
                 check_md5: bool = True,
                 **kwargs):
        self.check_md5 = check_md5
        super().__init__(*args, download=download, **kwargs)

    def load_data_list(self):
        if self.download:  # mmpretrain downloads the release, MD5-checked
            return super().load_data_list()
        self.check_files()
        folder = osp.join(self.data_prefix['root'], self.base_folder)
        files = self.train_list if self.split == 'train' else self.test_list
        imgs, labels = [], []
        for name, _ in files:
            entry = read_batch(osp.join(folder, name))
            imgs.append(entry['data'])
            labels.extend(entry.get('labels', entry.get('fine_labels')))
        imgs = np.vstack(imgs).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
        if self.CLASSES is None:
            meta = read_batch(osp.join(folder, self.meta['filename']))
            self._metainfo.setdefault('classes', meta[self.meta['key']])
        return [
            dict(img=img, gt_label=int(label))
            for img, label in zip(imgs, labels)
        ]

    def check_files(self) -> None:
        folder = osp.join(self.data_prefix['root'], self.base_folder)
        entries = self.train_list + self.test_list + [[
            self.meta['filename'], self.meta['md5']
        ]]
        missing = [
            f for f, _ in entries if not osp.isfile(osp.join(folder, f))
        ]
        name = type(self).__name__
        fix = (f'unpack {self.filename} ({self.url}) into '
               f'{self.data_prefix["root"]} so that {folder} holds the files '
               f'(docs/data_preparation.md, "CIFAR"), or let mmpretrain '
               f'download it: --cfg-options '
               f'train_dataloader.dataset.download=True '
               f'val_dataloader.dataset.download=True')
        if missing:
            raise FileNotFoundError(
                f'{name}: {folder} lacks {", ".join(missing)} of the python '
                f'version of {name}; {fix}')
        corrupt = [
            f for f, md5 in entries
            if md5 is not None and not check_md5(osp.join(folder, f), md5)
        ]
        if corrupt and not self.check_md5:
            print_log(
                f'{name}: {", ".join(corrupt)} in {folder} fail their MD5 '
                'check and are read anyway (check_md5=False)',
                logger='current',
                level=30)
        elif corrupt:
            raise RuntimeError(
                f'{name}: {", ".join(corrupt)} in {folder} fail their MD5 '
                f'check (a partial download, a re-packed copy, or not the '
                f'python version of {name}); {fix}. A re-packed copy of the '
                f'same images is read with check_md5=False: --cfg-options '
                f'train_dataloader.dataset.check_md5=False '
                f'val_dataloader.dataset.check_md5=False')


@DATASETS.register_module()
class CIFAR10(_CheckedFiles, _CIFAR10):
    """mmpretrain's ``CIFAR10`` with ``download=False`` by default and an
    error that names missing or corrupt files (see :class:`_CheckedFiles`).
    Arguments are mmpretrain's."""


@DATASETS.register_module()
class CIFAR100(_CheckedFiles, _CIFAR100):
    """mmpretrain's ``CIFAR100`` with ``download=False`` by default and an
    error that names missing or corrupt files (see :class:`_CheckedFiles`).
    Arguments are mmpretrain's."""
