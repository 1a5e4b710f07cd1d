import itertools
from typing import Iterator, Optional, Sized

import numpy as np
import torch
from mmengine.dataset import InfiniteSampler

from mmctune.registry import DATA_SAMPLERS


def domain_labels_of(dataset) -> np.ndarray:
    """The ``domain_label`` of every sample's data info (any dataset or
    wrapper with ``get_data_info``)."""
    labels = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if 'domain_label' not in info:
            raise KeyError(f'sample {i} of {type(dataset).__name__} has no '
                           "'domain_label': domain-balanced sampling needs a "
                           'multi-domain dataset (e.g. MultiDomainDataset)')
        labels.append(int(info['domain_label']))
    return np.asarray(labels, dtype=np.int64)


@DATA_SAMPLERS.register_module()
class DomainBalancedSampler(InfiniteSampler):
    """An infinite sampler (iteration-based training) that takes the domains
    in turn: position ``k`` of each process's stream comes from the
    ``k mod D``-th of the ``D`` domains present, so any ``B`` consecutive
    samples hold ``B/D`` of each domain when ``D`` divides ``B`` (and
    ``floor`` or ``ceil`` of it otherwise), whatever the domains' sizes:
    DomainBed's one-minibatch-per-domain, as one sampler. DomainBed's batch
    size is per domain (32), so its batch is ``B = 32 * D`` (96 for the
    three source domains of the PACS / VLCS / Office-Home configs).

    Each domain has its own endless stream of seeded permutations; on
    several processes each takes every ``world_size``-th index of each
    domain's stream, so processes see disjoint samples within a pass over
    a domain and every process's batches are balanced. Small domains are
    revisited more often than large ones, as in DomainBed.

    Args:
        dataset (Sized): A dataset whose data infos carry ``domain_label``.
        shuffle (bool): Shuffle within each domain. Defaults to True.
        seed (int, optional): Random seed, synchronised across processes
            when None. Defaults to None.
    """

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        labels = domain_labels_of(dataset)
        if labels.size == 0:
            raise ValueError('DomainBalancedSampler got an empty dataset')
        self.domain_indices = [
            np.flatnonzero(labels == d) for d in np.unique(labels)
        ]
        super().__init__(dataset, shuffle=shuffle, seed=seed)

    def _domain_stream(self, d: int) -> Iterator[int]:
        members = self.domain_indices[d]
        g = torch.Generator()
        g.manual_seed(self.seed + d)
        while True:
            if self.shuffle:
                order = torch.randperm(len(members), generator=g).numpy()
                yield from members[order].tolist()
            else:
                yield from members.tolist()

    def _indices_of_rank(self) -> Iterator[int]:
        streams = [
            itertools.islice(
                self._domain_stream(d), self.rank, None, self.world_size)
            for d in range(len(self.domain_indices))
        ]
        for stream in itertools.cycle(streams):
            yield next(stream)
