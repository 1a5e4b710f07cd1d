import copy
from typing import Optional, Union

import numpy as np

from mmctune.registry import DATASETS


def stratified_subset(labels,
                      fraction: float,
                      seed: int = 0,
                      holdout: float = 0.0,
                      split: str = 'train') -> np.ndarray:
    """Indices of a stratified, seeded subset holding ``fraction`` of each
    class (at least one sample per class), sorted.

    Each class's samples are shuffled with a generator seeded by ``seed``,
    in class order, and the first ``round(fraction * n_class)`` are taken:
    for one seed the subsets of increasing fractions are nested (the 10%
    subset lies inside the 25% one), and the same seed gives the same subset
    on every machine.

    ``holdout`` > 0 sets aside the last ``round(holdout * n_class)`` of each
    class's shuffle as a validation split (``split='val'`` returns it),
    which the training subsets of every fraction never touch. ``fraction``
    still counts over the whole class, so 1% of the labels stays 1%.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f'fraction must be in (0, 1], got {fraction}')
    if not 0 <= holdout < 1:
        raise ValueError(f'holdout must be in [0, 1), got {holdout}')
    if split not in ('train', 'val'):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    if split == 'val' and holdout == 0:
        raise ValueError("split='val' needs a holdout > 0")
    labels = np.asarray(labels)
    if labels.size == 0:
        raise ValueError('the dataset is empty: no labels to subsample')
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        order = members[rng.permutation(len(members))]
        n_val = int(round(holdout * len(members)))
        k = max(1, int(round(fraction * len(members))))
        if split == 'val':
            picked.append(order[len(members) - n_val:])
            continue
        if k > len(members) - n_val:
            raise ValueError(
                f'class {c}: {k} training samples ({fraction:g}) and '
                f'{n_val} held out ({holdout:g}) exceed its {len(members)}')
        picked.append(order[:k])
    return np.sort(np.concatenate(picked))


@DATASETS.register_module()
class LabelFraction:
    """Keep a stratified, seeded fraction of a classification dataset's
    labelled samples (the Core-tuning paper's Table 5: 10/25/50/75%).

    A dataset wrapper, like mmengine's ``ClassBalancedDataset``: it wraps any
    dataset whose data infos carry ``gt_label``::

        train_dataloader = dict(dataset=dict(
            type='LabelFraction', fraction=0.1, seed=0,
            dataset=dict(type='mmpretrain.CIFAR10', ...)))

    Subsets are nested across fractions for the same seed and reproducible
    (see :func:`stratified_subset`).

    Args:
        dataset (dict | Dataset): The dataset or its config.
        fraction (float): Fraction of each class to keep, in (0, 1].
        seed (int): Seed of the per-class shuffles. Defaults to 0.
        holdout (float): Fraction of each class set aside as a validation
            split that no training subset of this seed touches. Defaults
            to 0 (none).
        split (str): ``'train'`` (the ``fraction`` subset) or ``'val'`` (the
            held-out samples). Defaults to ``'train'``.
        lazy_init (bool): Defer loading the annotations. Defaults to False.
        indices (int, optional): Keep only the first ``indices`` samples of
            the subset, as mmengine's ``BaseDataset(indices=N)`` does (the
            ``--smoke`` option of ``tools/train.py``). Defaults to all.
    """

    def __init__(self,
                 dataset: Union[dict, object],
                 fraction: float,
                 seed: int = 0,
                 holdout: float = 0.0,
                 split: str = 'train',
                 lazy_init: bool = False,
                 indices: Optional[int] = None):
        if not 0 < fraction <= 1:
            raise ValueError(f'fraction must be in (0, 1], got {fraction}')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset,
                                                             dict) else dataset
        self.fraction = fraction
        self.seed = seed
        self.holdout = holdout
        self.split = split
        self.max_samples = indices
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    @property
    def CLASSES(self):
        return self._metainfo.get('classes')

    def full_init(self):
        if self._fully_initialized:
            return
        self.dataset.full_init()
        labels = [
            int(self.dataset.get_data_info(i)['gt_label'])
            for i in range(len(self.dataset))
        ]
        self.indices = stratified_subset(labels, self.fraction, self.seed,
                                         self.holdout, self.split)
        if self.max_samples is not None:
            self.indices = self.indices[:self.max_samples]
        self._fully_initialized = True

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(int(self.indices[idx]))

    def get_gt_labels(self) -> np.ndarray:
        return np.array(
            [self.get_data_info(i)['gt_label'] for i in range(len(self))])

    def __getitem__(self, idx: int):
        if not self._fully_initialized:
            self.full_init()
        return self.dataset[int(self.indices[idx])]

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        return len(self.indices)
