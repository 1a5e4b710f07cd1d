"""Leave-one-domain-out splits of multi-domain folders and domain-balanced
sampling."""
import collections
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmctune.datasets import (PACS, DomainBalancedSampler, LabelFraction,
                              MultiDomainDataset, OfficeHome, source_holdout)

# images per (domain, class): unequal domains and classes
SIZES = {'a': (10, 6, 4), 'b': (5, 5, 5), 'c': (3, 2, 7)}


def write_domains(root, sizes=SIZES, classes=('cat', 'dog', 'emu')):
    for domain, counts in sizes.items():
        for cls, n in zip(classes, counts):
            folder = osp.join(root, domain, cls)
            os.makedirs(folder, exist_ok=True)
            for i in range(n):
                Image.new('L', (4, 4), i).save(osp.join(folder, f'{i}.png'))
    return str(root)


def build(root, split, target='c', **kwargs):
    return MultiDomainDataset(
        data_root=root,
        domains=('a', 'b', 'c'),
        target_domain=target,
        split=split,
        **kwargs)


def paths(ds):
    return {ds.get_data_info(i)['img_path'] for i in range(len(ds))}


def test_splits_disjoint_seeded_and_leave_the_target_out(tmp_path):
    root = write_domains(tmp_path)
    train, val, test = (build(root, s) for s in ('train', 'val', 'test'))
    # train and val split the source domains; test is the whole target
    assert not paths(train) & paths(val)
    on_disk = {
        d: {
            osp.join(root, d, c, f)
            for c in os.listdir(osp.join(root, d))
            for f in os.listdir(osp.join(root, d, c))
        }
        for d in SIZES
    }
    assert paths(train) | paths(val) == on_disk['a'] | on_disk['b']
    assert paths(test) == on_disk['c']
    assert len(test) == sum(SIZES['c'])
    assert set(train.get_domain_labels()) == set(val.get_domain_labels()) \
        == {0, 1}
    assert set(test.get_domain_labels()) == {2}
    assert not any('/c/' in p for p in paths(train) | paths(val))
    # 20% of each source domain's class, at least one
    per = collections.Counter(
        (d, int(l))
        for d, l in zip(val.get_domain_labels(), val.get_gt_labels()))
    assert per == {
        (0, 0): 2,
        (0, 1): 1,
        (0, 2): 1,
        (1, 0): 1,
        (1, 1): 1,
        (1, 2): 1
    }
    # seeded: the same seed gives the same split, another seed another
    assert paths(build(root, 'val')) == paths(val)
    assert paths(build(root, 'val', seed=1)) != paths(val)
    # labels and metainfo agree across splits
    for ds in (train, val, test):
        assert ds.metainfo['classes'] == ('cat', 'dog', 'emu')
        assert ds.metainfo['target_domain'] == 'c'
        assert ds.metainfo['source_domains'] == ('a', 'b')
    info = test.get_data_info(0)
    assert info['domain_label'] == 2 and info['gt_label'] == 0


def test_source_holdout_is_a_partition():
    labels = np.repeat(np.arange(4), [10, 7, 1, 30])
    train, val = source_holdout(labels, 0.2, seed=3)
    assert not set(train) & set(val)
    assert sorted(np.concatenate([train, val])) == list(range(len(labels)))
    assert np.bincount(labels[val]).tolist() == [2, 1, 1, 6]


def test_class_folders_missing_in_a_domain(tmp_path):
    root = write_domains(tmp_path, sizes={'a': (3, 3), 'b': (2, 0)})
    os.rmdir(osp.join(root, 'b', 'dog'))
    ds = MultiDomainDataset(
        root, target_domain='b', domains=('a', 'b'), split='test')
    assert ds.metainfo['classes'] == ('cat', 'dog')  # union of the domains
    assert set(ds.get_gt_labels()) == {0}


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(target='x'), ValueError, "target_domain 'x' is not one"),
    (dict(split='all'), ValueError, 'split must be one of'),
    (dict(val_fraction=0), ValueError, r'val_fraction must be in \(0, 1\)'),
    (dict(val_fraction=1), ValueError, r'val_fraction must be in \(0, 1\)'),
])
def test_bad_arguments(tmp_path, kwargs, error, match):
    root = write_domains(tmp_path)
    with pytest.raises(error, match=match):
        build(root, **{'split': 'train', **kwargs})


def test_missing_or_empty_domain_and_wrong_class_count(tmp_path):
    root = write_domains(tmp_path)
    with pytest.raises(FileNotFoundError, match=r'domain folder .*/d not'):
        MultiDomainDataset(root, target_domain='a', domains=('a', 'd'))
    os.makedirs(osp.join(root, 'e', 'cat'))
    with pytest.raises(RuntimeError, match="domain 'e' has no images"):
        MultiDomainDataset(root, target_domain='a', domains=('a', 'e'))
    with pytest.raises(ValueError, match='PACS has 7 classes but 3 class'):
        PACS(root, target_domain='c', domains=('a', 'b', 'c'))


def test_office_home_reads_the_archive_folder_name(tmp_path):
    classes = tuple(f'k{i:02d}' for i in range(65))
    sizes = {
        d: (1, ) * 65
        for d in ('Art', 'Clipart', 'Product', 'Real World')
    }
    root = write_domains(tmp_path, sizes=sizes, classes=classes)
    ds = OfficeHome(root, target_domain='Real_World', split='test')
    assert len(ds) == 65 and '/Real World/' in ds.get_data_info(0)['img_path']
    assert ds.metainfo['domains'][3] == 'Real_World'


def take(sampler, n):
    """The next ``n`` indices (as a dataloader draws them, from one
    iterator over the infinite sampler)."""
    it = iter(sampler)
    return [next(it) for _ in range(n)]


def test_balanced_sampler_gives_each_domain_its_share(tmp_path):
    # domains of 6, 5 and 2 training images (of 20, 15 and 12)
    root = write_domains(
        tmp_path,
        sizes={
            'a': (10, 6, 4),
            'b': (5, 5, 5),
            'c': (3, 2, 7),
            'd': (1, 1, 1)
        })
    ds = MultiDomainDataset(
        root, target_domain='d', domains=('a', 'b', 'c', 'd'), split='train')
    domain = ds.get_domain_labels()
    assert np.bincount(domain).tolist() == [16, 12, 9]
    sampler = iter(DomainBalancedSampler(ds, seed=0))
    drawn = domain[take(sampler, 6 * 50)]
    for batch in drawn.reshape(50, 6):  # every batch of 6: 2 of each
        assert np.bincount(batch, minlength=3).tolist() == [2, 2, 2]
    # each domain's stream is a sequence of permutations of it
    stream_b = [
        i for i in take(DomainBalancedSampler(ds, seed=0), 3 * 24)
        if domain[i] == 1
    ]
    assert sorted(stream_b[:12]) == sorted(stream_b[12:]) == sorted(
        np.flatnonzero(domain == 1).tolist())
    # a batch size that is not a multiple of the domains: within one,
    # continuing the same stream
    for batch in domain[take(sampler, 4 * 30)].reshape(30, 4):
        assert np.bincount(batch, minlength=3).max() <= 2
    # the same seed gives the same stream
    assert take(DomainBalancedSampler(ds, seed=0),
                40) == take(DomainBalancedSampler(ds, seed=0), 40)
    assert take(DomainBalancedSampler(ds, seed=1),
                40) != take(DomainBalancedSampler(ds, seed=0), 40)


def test_balanced_sampler_on_two_processes(tmp_path):
    root = write_domains(tmp_path)
    ds = build(root, 'train')
    domain = ds.get_domain_labels()
    streams = []
    for rank in (0, 1):
        s = DomainBalancedSampler(ds, seed=0)
        s.rank, s.world_size = rank, 2
        s.indices = s._indices_of_rank()
        streams.append(take(s, 2 * 8))
        # each process's batches are balanced
        for batch in domain[streams[-1]].reshape(-1, 4):
            assert np.bincount(batch, minlength=2).tolist() == [2, 2]
    # within one pass over domain b (12 images), the processes are disjoint
    assert (domain == 1).sum() == 12
    b = [[i for i in st if domain[i] == 1][:6] for st in streams]
    assert not set(b[0]) & set(b[1])
    assert sorted(b[0] + b[1]) == np.flatnonzero(domain == 1).tolist()


def test_balanced_sampler_through_a_wrapper_and_without_domains(
        tmp_path, tiny_fmnist):
    root = write_domains(tmp_path)
    wrapped = LabelFraction(build(root, 'train'), fraction=0.5)
    s = DomainBalancedSampler(wrapped, seed=0)
    assert set(
        np.array(wrapped.dataset.get_domain_labels())[wrapped.indices[take(
            s, 10)]]) == {0, 1}
    from mmpretrain.datasets import FashionMNIST
    plain = FashionMNIST(tiny_fmnist, split='train', download=False)
    with pytest.raises(KeyError, match="no 'domain_label'"):
        DomainBalancedSampler(plain)
