"""The one protocol of the preparations outside the training steps
(mmctune/engine/hooks/prepare_hook.py): the tools find every method's
preparation in its config, fit it to a smoke run's images and mark a built
model prepared without data, without knowing the method; a once-per-run
preparation runs once and not again on a model that has its state."""
import logging
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmctune.engine.hooks import (PrepareHook, PrepareOnceHook,
                                  fit_preparations, mark_prepared,
                                  prepare_hooks)
from mmctune.models import build_model
from mmctune.registry import HOOKS
from ...conftest import ROOT

DEMO = {
    'delta/r18-tiny_simclr_fmnist.py': 'DELTAAttentionHook',
    'cotuning/r18-tiny_simclr_fmnist.py': 'CoTuningRelationshipHook',
    'noisytune/r18-tiny_simclr_fmnist.py': 'NoisyTuneHook',
    'rifle/r18-tiny_simclr_fmnist.py': 'RIFLEHook',
    'pretrain/hcsc_r18-tiny_fmnist.py': 'HierarchicalKMeansHook',
    'coin/r18-tiny_simclr_fmnist.py': None,  # a schedule, not a preparation
}


def load(name):
    return Config.fromfile(osp.join(ROOT, 'configs', name))


@pytest.mark.parametrize('name', sorted(DEMO))
def test_the_tools_find_each_methods_preparation(name):
    found = [cls.__name__ for _, cls in prepare_hooks(load(name))]
    assert found == ([DEMO[name]] if DEMO[name] else [])


def test_smoke_fits_every_preparation_to_its_images():
    cfg = load('pretrain/hcsc_r18-tiny_fmnist.py')
    assert fit_preparations(cfg, 16) == ['prototypes (8, 4, 2)']
    hook = cfg.custom_hooks[0]
    assert hook.num_clusters == (8, 4, 2) and hook.warmup_epochs == 0
    # the hook's default prototypes (3000, 2000, 1000) and warm-up (20)
    cfg = Config(
        dict(custom_hooks=[dict(type='HierarchicalKMeansHook', pipeline=[])]))
    assert fit_preparations(cfg, 64) == ['prototypes (32, 16, 8)']
    assert cfg.custom_hooks[0].warmup_epochs == 0
    cfg = load('delta/r18-tiny_simclr_fmnist.py')
    before = cfg.to_dict()
    assert fit_preparations(cfg, 16) == [] and cfg.to_dict() == before


def batch(n=8, views=1, idx=False):
    x = torch.randint(0, 255, (n, 1, 28, 28), dtype=torch.uint8)
    samples = []
    for i in range(n):
        s = DataSample().set_gt_label(i % 10)
        if idx:
            s.set_metainfo(dict(sample_idx=i))
        samples.append(s)
    inputs = [x] * views if views > 1 else list(x)
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize(
    'name',
    ['delta/r18-tiny_simclr_fmnist.py', 'cotuning/r18-tiny_simclr_fmnist.py'])
def test_a_marked_model_trains_without_its_preparation(name):
    """step_time.py times a step of DELTA and Co-Tuning without computing
    their attention / relationship: without the mark the step refuses."""
    cfg = load(name)
    model = build_model(cfg).train()
    data = model.data_preprocessor(batch(), True)
    with pytest.raises(RuntimeError, match='has not been computed'):
        model.loss(**data)
    assert mark_prepared(cfg, model) == [DEMO[name]]
    losses = model.loss(**data)
    assert all(torch.isfinite(v) for v in losses.values())


def test_a_marked_hcsc_model_has_its_prototypical_loss():
    cfg = load('pretrain/hcsc_r18-tiny_fmnist.py')
    cfg.model.queue_len = 16
    model = build_model(cfg).train()
    data = model.data_preprocessor(batch(views=2, idx=True), True)
    assert 'loss_proto' not in model.loss(**data)  # MoCo v2 (warm-up)
    mark_prepared(cfg, model, num_images=8)
    assert model.cluster_result['im2cluster'][0].numel() == 8
    assert [len(c) for c in model.cluster_result['centroids']] == [4, 2, 1]
    losses = model.loss(**data)
    assert 'loss_proto' in losses and torch.isfinite(losses['loss_proto'])


def test_noisy_tune_marks_its_noise_and_rifle_has_nothing_to_mark():
    cfg = load('noisytune/r18-tiny_simclr_fmnist.py')
    model = build_model(cfg)
    w = model.backbone.conv1.weight.detach().clone()
    mark_prepared(cfg, model)
    assert not torch.equal(model.backbone.conv1.weight, w)
    cfg = load('rifle/r18-tiny_simclr_fmnist.py')
    model = build_model(cfg)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert mark_prepared(cfg, model) == ['RIFLEHook']
    assert all(
        torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_a_once_per_run_preparation_runs_once():

    @HOOKS.register_module(force=True)
    class CountingHook(PrepareOnceHook):

        def __init__(self):
            self.calls = 0

        def is_prepared(self, runner):
            return bool(runner.model.done)

        def prepare(self, runner):
            self.calls += 1
            runner.model.done = True

    hook = CountingHook()
    runner = SimpleNamespace(
        model=SimpleNamespace(done=False), logger=logging.getLogger('t'))
    hook.before_train(runner)
    hook.before_train(runner)  # e.g. a resumed run: the state is there
    assert hook.calls == 1
    assert isinstance(hook, PrepareHook)
    assert [
        c.__name__ for _, c in prepare_hooks(
            Config(dict(custom_hooks=[dict(type='CountingHook')])))
    ] == ['CountingHook']
