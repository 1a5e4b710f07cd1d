"""mmctune's Runner: every method's shared parts start the same at a seed."""
import copy
import os.path as osp

import torch
from mmengine.config import Config

from mmctune.apis import setting_models
from mmctune.engine.runner import Runner
from mmctune.registry import MODELS
from mmctune.utils import init_weights_seeded
from ...conftest import ROOT

SHARED = ('backbone.', 'head.fc.')


def model_cfg(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.model.backbone.init_cfg = None  # random: what the seed decides
    model = copy.deepcopy(cfg.model)
    model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    return cfg, model


def shared_state(model):
    return {
        k: v
        for k, v in model.state_dict().items()
        if k.startswith(SHARED) and v.is_floating_point()
    }


def seeded_model(config, seed=0):
    """As the Runner does it: the seed set, the model built (drawing what
    its parts draw), then initialised."""
    _, cfg = model_cfg(config)
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    init_weights_seeded(model, seed)
    return shared_state(model)


def test_every_method_starts_from_ce_tunings_backbone_and_classifier():
    """At one seed, every method of the demo's table builds the backbone
    and the classifier CE-tuning builds (before the fix, Core-tuning's
    projector drew from the generator first: a classifier max |diff|
    0.067 away), so gains paired by seed are paired at initialisation."""
    methods = setting_models(
        'fmnist',
        ('reference', 'baseline', 'proposed', 'ablation', 'adversarial'))
    ce = seeded_model(methods[0].config)
    assert ce and any(k.startswith('head.fc.') for k in ce)
    compared = 0
    for method in methods[1:]:
        other = seeded_model(method.config)
        same_arch = {
            k
            for k in ce if k in other and other[k].shape == ce[k].shape
        }
        for key in same_arch:
            assert torch.equal(ce[key], other[key]), (method.name, key)
        if 'head.fc.weight' in same_arch:
            compared += 1
    assert compared >= len(methods) - 3


def test_the_runner_initialises_seeded(tmp_path):
    """Through the Runner: CE-tuning's and Core-tuning's demo configs give
    the same classifier and backbone (Core-tuning also builds a
    projector)."""
    states = []
    for config in ('configs/baselines/ce_r18-tiny_simclr_fmnist.py',
                   'configs/coretune/r18-tiny_simclr_fmnist.py'):
        cfg, _ = model_cfg(config)
        cfg.work_dir = str(tmp_path / osp.basename(osp.dirname(config)))
        cfg.experiment_name = osp.basename(osp.dirname(config))
        runner = Runner.from_cfg(cfg)
        runner._init_model_weights()
        states.append(shared_state(runner.model))
    ce, core = states
    assert ce.keys() == core.keys()
    for key in ce:
        assert torch.equal(ce[key], core[key]), key


def test_another_seed_starts_elsewhere():
    config = 'configs/baselines/ce_r18-tiny_simclr_fmnist.py'
    a, b = seeded_model(config), seeded_model(config, 1)
    assert not torch.equal(a['head.fc.weight'], b['head.fc.weight'])


def test_format_once_config_equals_mmengines_text_and_follows_edits(
        monkeypatch):
    """The runner's config formats once per content: its text is
    mmengine's, a second read does not run yapf again, and an edit (the
    kind a hook or --cfg-options makes) is in the next text."""
    from mmengine.config import config as config_module

    from mmctune.engine.runner.runner import FormatOnceConfig
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/baselines/ce_r18-tiny_simclr_fmnist.py'))
    once = FormatOnceConfig.of(copy.deepcopy(cfg))
    calls = []
    format_code = config_module.FormatCode
    monkeypatch.setattr(
        config_module, 'FormatCode',
        lambda *a, **k: calls.append(1) or format_code(*a, **k))
    assert once.pretty_text == cfg.pretty_text
    assert len(calls) == 2  # one each
    assert once.pretty_text == cfg.pretty_text
    assert len(calls) == 3  # the plain Config formats again, ours does not
    copied = copy.deepcopy(once)  # as mmengine's Runner keeps it
    assert type(copied) is FormatOnceConfig
    copied.train_cfg.max_epochs = 7
    cfg.train_cfg.max_epochs = 7
    assert 'max_epochs=7' in copied.pretty_text
    assert copied.pretty_text == cfg.pretty_text
    assert once.pretty_text != copied.pretty_text  # the copy's edit only
    assert Config.fromstring(copied.pretty_text,
                             '.py').train_cfg.max_epochs == 7


def test_the_runner_keeps_its_config_in_the_format_once_class(tmp_path):
    from mmctune.engine.runner.runner import FormatOnceConfig
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/baselines/ce_r18-tiny_simclr_fmnist.py'))
    cfg.work_dir = str(tmp_path)
    cfg.model.backbone.init_cfg = None
    runner = Runner.from_cfg(cfg)
    assert type(runner.cfg) is FormatOnceConfig
    assert runner.cfg.pretty_text == cfg.pretty_text
    assert type(cfg) is Config  # the caller's config is left as it was
