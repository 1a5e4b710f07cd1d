"""configs/drtune/r50_moco_<dataset>.py: DR-Tune on each dataset of the
Core-tuning paper's Table 1 is CE-tuning's config of that dataset and
nothing else but DR-Tune's model, queue hook and head lr; the official queue
fits every training set; the head trains at the official code's 0.33."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from ..conftest import ROOT

# The Core-tuning supplement, Table 1 ("Statistics of datasets"): training
# images per dataset.
TRAINING_IMAGES = {
    'imagenet20': 18494,
    'cifar10': 50000,
    'cifar100': 50000,
    'caltech101': 3060,
    'dtd': 3760,
    'aircraft': 6667,
    'cars': 8144,
    'pets': 3680,
    'flowers': 6552,
}
DRTUNE_KEYS = {'type', 'queue_size', 'rotate_interval', 'joint_mean'}


def _cfg(path):
    return Config.fromfile(osp.join(ROOT, 'configs', path))


class _Classifier(torch.nn.Module):
    """Parameter names as an ImageClassifier's: backbone.*, head.fc.*."""

    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Conv2d(3, 4, 1)
        self.head = torch.nn.Module()
        self.head.fc = torch.nn.Linear(4, 2)


@pytest.mark.parametrize('dataset', sorted(TRAINING_IMAGES))
def test_drtune_config_is_ce_tuning_plus_drtune(dataset):
    cfg = _cfg(f'drtune/r50_moco_{dataset}.py').to_dict()
    ce = _cfg(f'baselines/ce_r50_moco_{dataset}.py').to_dict()

    # The model: CE-tuning's, with DR-Tune's type and arguments added.
    model, ce_model = cfg.pop('model'), ce.pop('model')
    assert model['type'] == 'DRTuneClassifier'
    assert set(model) - set(ce_model) == DRTUNE_KEYS - {'type'}
    assert {k: v for k, v in model.items() if k not in DRTUNE_KEYS} == \
        {k: v for k, v in ce_model.items() if k != 'type'}
    assert model['queue_size'] == 2048  # the official code's K
    assert [h['type'] for h in cfg.pop('custom_hooks')] == ['DRTuneQueueHook']
    assert not ce.pop('custom_hooks', None)

    # Every other setting is CE-tuning's, the optimizer included; only the
    # head's lr_mult is added.
    paramwise = cfg['optim_wrapper'].pop('paramwise_cfg')
    assert set(paramwise) == {'custom_keys'}
    assert set(paramwise['custom_keys']) == {'head'}
    assert 'paramwise_cfg' not in ce['optim_wrapper']
    for key in ('drtune_model', 'drtune_queue_hook', 'drtune_paramwise_cfg'):
        cfg.pop(key, None)
    assert cfg == ce


@pytest.mark.parametrize('dataset', sorted(TRAINING_IMAGES))
def test_drtune_queue_fits_the_training_set(dataset):
    """The warm-up (DRTuneQueueHook) reads ``K // B + 2`` batches and
    refuses to start when they hold fewer than ``K`` images: the training set
    must hold at least ``K``."""
    cfg = _cfg(f'drtune/r50_moco_{dataset}.py')
    k, batch = cfg.model.queue_size, cfg.train_dataloader.batch_size
    usable = TRAINING_IMAGES[dataset]
    if cfg.train_dataloader.get('drop_last', False):
        usable -= usable % batch
    assert min(usable, (k // batch + 2) * batch) >= k


@pytest.mark.parametrize('dataset', sorted(TRAINING_IMAGES))
def test_drtune_head_lr_is_the_official(dataset):
    """The official recipe trains the head at 0.33 (configs/
    cifar10_k2048_lr001.yaml: lr [0.01, 0.33]); the backbone keeps CE-tuning's
    lr for the dataset."""
    cfg = _cfg(f'drtune/r50_moco_{dataset}.py')
    ce = _cfg(f'baselines/ce_r50_moco_{dataset}.py')
    model = _Classifier()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    by_name = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            name = next(n for n, q in model.named_parameters() if q is p)
            by_name[name] = group['lr']
    assert by_name['head.fc.weight'] == pytest.approx(0.33)
    assert by_name['head.fc.bias'] == pytest.approx(0.33)
    assert by_name['backbone.weight'] == ce.optim_wrapper.optimizer.lr
