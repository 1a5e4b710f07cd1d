"""Multi-domain image folders for domain generalisation: leave one domain out,
train on the others, select models on a held-out split of the training
domains, test on the unseen one (the Core-tuning paper's §5.3, Table 8)."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.datasets.custom import find_folders, get_samples

from mmctune.registry import DATASETS
from .imagenet20 import IMG_EXTENSIONS
from .label_fraction import stratified_subset

SPLITS = ('train', 'val', 'test')


def source_holdout(labels, fraction: float, seed: int = 0):
    """Split one source domain into (train, val) indices: ``val`` holds a
    seeded, class-stratified ``fraction`` (see :func:`stratified_subset`),
    ``train`` the rest; the two are disjoint and cover the domain."""
    if not 0 < fraction < 1:
        raise ValueError(
            f'val_fraction must be in (0, 1), got {fraction}: training and '
            'training-domain validation both need images')
    val = stratified_subset(labels, fraction, seed)
    train = np.setdiff1d(np.arange(len(labels)), val)
    return train, val


@DATASETS.register_module()
class MultiDomainDataset(BaseDataset):
    """Images of several domains sharing one label space, in the usual
    folder layout ``data_root/<domain>/<class>/<image>``, split for
    leave-one-domain-out training::

        split='train'  source domains (all but ``target_domain``), less a
                       held-out ``val_fraction`` of each
        split='val'    that held-out part: training-domain validation,
                       the only data used for model selection
        split='test'   the target domain, every image

    The held-out part is stratified by class within each source domain and
    seeded, so ``train`` and ``val`` are disjoint and the same on every
    machine. Classes are the sorted union of the class folders of all
    domains (unless ``classes`` fixes them), so labels agree across splits.
    Each sample's data info carries ``domain_label``, its domain's index in
    ``domains``; add it to ``PackInputs``' ``meta_keys`` to have it in the
    data samples (``DomainAccuracy`` reads it there). The metainfo holds
    ``classes``, ``domains``, ``target_domain`` and ``source_domains``.

    Args:
        data_root (str): The folder holding one folder per domain.
        target_domain (str): The unseen domain, one of ``domains``.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        domains (Sequence[str], optional): Domain folder names, in domain-id
            order. Defaults to the dataset's ``DOMAINS``.
        val_fraction (float): Held-out fraction of each source domain, in
            (0, 1). Defaults to 0.2.
        seed (int): Seed of the held-out split. Defaults to 0.
        classes (Sequence[str], optional): Class folder names in label
            order. Defaults to the sorted class folders found.
        extensions (Sequence[str]): Image file extensions.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``.
    """
    DOMAINS: Optional[Sequence[str]] = None
    NUM_CLASSES: Optional[int] = None

    def __init__(self,
                 data_root: str,
                 target_domain: str,
                 split: str = 'train',
                 domains: Optional[Sequence[str]] = None,
                 val_fraction: float = 0.2,
                 seed: int = 0,
                 classes: Optional[Sequence[str]] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 **kwargs):
        domains = tuple(domains if domains is not None else self.DOMAINS or ())
        if len(domains) < 2:
            raise ValueError(
                f'{type(self).__name__} needs at least two domains (one to '
                f'train on, one to test on), got {domains}')
        if len(set(domains)) != len(domains):
            raise ValueError(f'domains has duplicates: {domains}')
        if target_domain not in domains:
            raise ValueError(f"target_domain '{target_domain}' is not one "
                             f'of the domains {domains}')
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        if not 0 < val_fraction < 1:
            raise ValueError(
                f'val_fraction must be in (0, 1), got {val_fraction}')
        self.domains = domains
        self.target_domain = target_domain
        self.split = split
        self.val_fraction = val_fraction
        self.seed = seed
        self.extensions = tuple(e.lower() for e in extensions)
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if classes is not None:
            metainfo['classes'] = tuple(classes)
        super().__init__(
            ann_file='', data_root=data_root, metainfo=metainfo, **kwargs)

    def _domain_dir(self, domain: str) -> str:
        return osp.join(self.data_root, domain)

    def _find_classes(self):
        found = set()
        for domain in self.domains:
            folder = self._domain_dir(domain)
            if not osp.isdir(folder):
                raise FileNotFoundError(
                    f'domain folder {folder} not found: {type(self).__name__}'
                    f' expects {self.data_root}/<domain>/<class>/<image> for '
                    f'the domains {self.domains} (see '
                    'docs/data_preparation.md)')
            found.update(find_folders(folder)[0])
        return tuple(sorted(found))

    def load_data_list(self):
        # set here, not passed as metainfo: mmengine reads a string there
        # as the name of a meta file
        self._metainfo.update(
            domains=self.domains,
            target_domain=self.target_domain,
            source_domains=tuple(d for d in self.domains
                                 if d != self.target_domain))
        classes = self._metainfo.get('classes') or self._find_classes()
        if self.NUM_CLASSES is not None and len(classes) != self.NUM_CLASSES:
            raise ValueError(
                f'{type(self).__name__} has {self.NUM_CLASSES} classes but '
                f'{len(classes)} class folders were found under '
                f'{self.data_root}: {classes}')
        self._metainfo['classes'] = tuple(classes)
        class_to_idx = {c: i for i, c in enumerate(classes)}
        data_list = []
        for domain_label, domain in enumerate(self.domains):
            is_target = domain == self.target_domain
            if (self.split == 'test') != is_target:
                continue
            folder = self._domain_dir(domain)
            present = {
                c: i
                for c, i in class_to_idx.items()
                if osp.isdir(osp.join(folder, c))
            }
            samples, _ = get_samples(
                folder,
                present,
                is_valid_file=lambda f: f.lower().endswith(self.extensions))
            if not samples:
                raise RuntimeError(
                    f"domain '{domain}' has no images under {folder} (one "
                    f'folder per class, extensions {self.extensions})')
            labels = [label for _, label in samples]
            if not is_target:
                train, val = source_holdout(labels, self.val_fraction,
                                            self.seed)
                keep = train if self.split == 'train' else val
                samples = [samples[i] for i in keep]
            data_list += [
                dict(
                    img_path=osp.join(folder, path),
                    gt_label=label,
                    domain_label=domain_label) for path, label in samples
            ]
        return data_list

    def get_domain_labels(self) -> np.ndarray:
        """The domain id of every sample."""
        return np.array(
            [self.get_data_info(i)['domain_label'] for i in range(len(self))])

    def extra_repr(self):
        return [
            f'Domains: {self.domains}', f'Target domain: {self.target_domain}',
            f'Split: {self.split}'
        ]


@DATASETS.register_module()
class PACS(MultiDomainDataset):
    """PACS (Li et al., 2017): 9,991 images, 7 classes, 4 domains; as
    DomainBed's downloader lays it out (``PACS/<domain>/<class>/*.jpg``)."""
    DOMAINS = ('art_painting', 'cartoon', 'photo', 'sketch')
    NUM_CLASSES = 7


@DATASETS.register_module()
class VLCS(MultiDomainDataset):
    """VLCS (Fang et al., 2013): 10,729 images, 5 classes, 4 domains
    (``VLCS/<domain>/<class>/*.jpg``)."""
    DOMAINS = ('Caltech101', 'LabelMe', 'SUN09', 'VOC2007')
    NUM_CLASSES = 5


@DATASETS.register_module()
class OfficeHome(MultiDomainDataset):
    """Office-Home (Venkateswara et al., 2017): 15,588 images, 65 classes,
    4 domains (``office_home/<domain>/<class>/*.jpg``). The archive names
    the fourth domain ``Real World``; ``Real_World`` (DomainBed's name) is
    read from either folder."""
    DOMAINS = ('Art', 'Clipart', 'Product', 'Real_World')
    NUM_CLASSES = 65

    def _domain_dir(self, domain: str) -> str:
        folder = super()._domain_dir(domain)
        spaced = super()._domain_dir(domain.replace('_', ' '))
        if not osp.isdir(folder) and osp.isdir(spaced):
            return spaced
        return folder
