import numpy as np
import pytest

from mmctune.datasets import stratified_subset
from mmctune.registry import DATASETS
from mmctune.utils import register_all_modules

register_all_modules()

# unbalanced classes: 200, 120, 40, 8 samples, interleaved
LABELS = np.random.default_rng(0).permutation(
    np.repeat([0, 1, 2, 3], [200, 120, 40, 8]))


@pytest.mark.parametrize('fraction', [0.1, 0.25, 0.5, 0.75])
def test_stratified(fraction):
    idx = stratified_subset(LABELS, fraction, seed=0)
    for c, n in zip(range(4), (200, 120, 40, 8)):
        assert (LABELS[idx] == c).sum() == max(1, round(fraction * n))
    assert len(set(idx)) == len(idx)


def test_nested_across_fractions_and_reproducible():
    subsets = [
        set(stratified_subset(LABELS, f, seed=3))
        for f in (0.1, 0.25, 0.5, 0.75, 1.0)
    ]
    for small, big in zip(subsets, subsets[1:]):
        assert small < big
    assert subsets[-1] == set(range(len(LABELS)))
    np.testing.assert_array_equal(
        stratified_subset(LABELS, 0.25, seed=3),
        stratified_subset(LABELS, 0.25, seed=3))
    assert set(stratified_subset(LABELS, 0.25, seed=4)) != subsets[1]


def test_every_class_keeps_a_sample():
    idx = stratified_subset(LABELS, 0.01, seed=0)
    assert set(LABELS[idx]) == {0, 1, 2, 3}


def test_bad_fraction_and_empty():
    with pytest.raises(ValueError, match='fraction'):
        stratified_subset(LABELS, 0.0)
    with pytest.raises(ValueError, match='empty'):
        stratified_subset([], 0.5)


def test_wrapper_on_a_config_dataset(tiny_fmnist):
    inner = dict(
        type='mmpretrain.FashionMNIST',
        data_root=tiny_fmnist,
        download=False,
        pipeline=[dict(type='mmpretrain.PackInputs')])
    full = DATASETS.build(inner)
    ds = DATASETS.build(
        dict(type='LabelFraction', dataset=inner, fraction=0.5, seed=0))
    labels = np.array(
        [full.get_data_info(i)['gt_label'] for i in range(len(full))])
    assert len(ds) == len(stratified_subset(labels, 0.5, 0))
    assert ds.metainfo['classes'] == full.metainfo['classes']
    sample = ds[0]
    assert int(sample['data_samples'].gt_label) == \
        ds.get_data_info(0)['gt_label']
    assert set(ds.get_gt_labels()) == set(labels)


def test_holdout_is_disjoint_from_every_training_fraction():
    """The validation split carved from the training set: stratified, the
    same for every fraction, never inside a training subset; the fractions
    still count over whole classes and stay nested."""
    val = stratified_subset(LABELS, 1.0, seed=0, holdout=0.25, split='val')
    for c, n in zip(range(4), (200, 120, 40, 8)):
        assert (LABELS[val] == c).sum() == round(0.25 * n)
    train = [
        stratified_subset(LABELS, f, seed=0, holdout=0.25)
        for f in (0.1, 0.5, 0.75)
    ]
    for idx, f in zip(train, (0.1, 0.5, 0.75)):
        assert not set(idx) & set(val)
        assert (LABELS[idx] == 0).sum() == round(f * 200)
    assert set(train[0]) < set(train[1]) < set(train[2])
    assert set(train[2]) | set(val) == set(range(len(LABELS)))
    # the fraction argument does not move the validation split
    np.testing.assert_array_equal(
        val, stratified_subset(LABELS, 0.1, seed=0, holdout=0.25, split='val'))
    with pytest.raises(ValueError, match='exceed'):
        stratified_subset(LABELS, 0.8, seed=0, holdout=0.25)
    with pytest.raises(ValueError, match='needs a holdout'):
        stratified_subset(LABELS, 0.1, split='val')
