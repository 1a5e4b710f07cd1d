"""DomainAccuracy: per-domain top-1 and their mean, against a count by
hand."""
import pytest
import torch

from mmctune.evaluation.metrics import DomainAccuracy


def sample(score, label, domain=None):
    s = dict(pred_score=torch.tensor(score), gt_label=torch.tensor([label]))
    if domain is not None:
        s['domain_label'] = domain
    return s


def test_per_domain_and_mean_against_hand_count():
    # domain 0: 3 samples, 2 right; domain 2: 1 sample, right; domain 1 has
    # none (left out of the mean)
    samples = [
        sample([.9, .1], 0, 0),
        sample([.2, .8], 1, 0),
        sample([.6, .4], 1, 0),
        sample([.3, .7], 1, 2),
    ]
    metric = DomainAccuracy(topk=(1, ))
    metric.dataset_meta = dict(domains=('photo', 'sketch', 'art'))
    metric.process({}, samples[:1])
    metric.process({}, samples[1:])  # batches add up
    scores = metric.evaluate(4)
    assert scores['accuracy/top1'] == pytest.approx(75.0)
    assert scores['accuracy/photo/top1'] == pytest.approx(200 / 3)
    assert scores['accuracy/art/top1'] == pytest.approx(100.0)
    assert 'accuracy/sketch/top1' not in scores
    assert scores['accuracy/domain_mean/top1'] == pytest.approx(
        (200 / 3 + 100) / 2)
    # without domain names: by index
    metric = DomainAccuracy()
    metric.process({}, samples)
    assert metric.evaluate(4)['accuracy/domain2/top1'] == pytest.approx(100)


def test_missing_domain_label_says_what_to_add():
    with pytest.raises(KeyError, match="add it to PackInputs' meta_keys"):
        DomainAccuracy().process({}, [sample([.5, .5], 0)])
