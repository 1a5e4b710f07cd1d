"""mmpretrain's CIFAR datasets that never download by default and say what
is wrong with the files they find."""
import os.path as osp

from mmpretrain.datasets import CIFAR10 as _CIFAR10
from mmpretrain.datasets import CIFAR100 as _CIFAR100
from mmpretrain.datasets.utils import check_md5

from mmctune.registry import DATASETS


class _CheckedFiles:
    """Before mmpretrain reads the files: name the missing ones and the
    corrupt ones (their MD5 differs from the release's), the folder they
    were looked for in, and the fix. mmpretrain says "Cannot find" for both
    and, with ``download=True`` (its default), tries the network first.
    Here ``download`` defaults to False: a run never reaches for the network
    unless asked."""

    def __init__(self, *args, download: bool = False, **kwargs):
        super().__init__(*args, download=download, **kwargs)

    def load_data_list(self):
        if not self.download:
            self.check_files()
        return super().load_data_list()

    def check_files(self) -> None:
        folder = osp.join(self.data_prefix['root'], self.base_folder)
        entries = self.train_list + self.test_list + [
            [self.meta['filename'], self.meta['md5']]
        ]
        missing = [f for f, _ in entries if not osp.isfile(osp.join(folder, f))]
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
        if corrupt:
            raise RuntimeError(
                f'{name}: {", ".join(corrupt)} in {folder} fail their MD5 '
                f'check (a partial download, or not the python version of '
                f'{name}); {fix}')


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
