"""mmctune's Runner: every method's shared parts start the same at a seed;
a dataset file that is not there is named with the fix."""
import copy
import os
import os.path as osp

import pytest
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


def write_tiny_pets(root, images=4):
    """mmpretrain's OxfordIIITPet layout: annotations/<split>.txt lines
    ``name class species breed``, images/<name>.jpg."""
    import numpy as np
    from PIL import Image
    os.makedirs(osp.join(root, 'annotations'))
    os.makedirs(osp.join(root, 'images'))
    for split in ('trainval', 'test'):
        lines = []
        for i in range(images):
            name = f'{split}_{i}'
            Image.fromarray(np.full(
                (8, 8, 3), i,
                np.uint8)).save(osp.join(root, 'images', f'{name}.jpg'))
            lines.append(f'{name} {i + 1} 1 1\n')
        with open(osp.join(root, 'annotations', f'{split}.txt'), 'w') as f:
            f.writelines(lines)


def pets_loader(data_root):
    return dict(
        batch_size=2,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='mmpretrain.OxfordIIITPet',
            data_root=data_root,
            split='trainval',
            pipeline=[dict(type='mmpretrain.PackInputs')]))


def test_a_missing_dataset_file_is_named_with_the_fix(tmp_path):
    """mmpretrain's dataset classes open their files themselves; the Runner
    names the file, the dataset, the docs and the option that points the
    config elsewhere, and that option, as written, then works."""
    missing = str(tmp_path / 'nowhere')
    cfg = Config(dict(train_dataloader=pets_loader(missing)))
    with pytest.raises(FileNotFoundError) as info:
        Runner.build_dataloader(cfg.train_dataloader)
    msg = str(info.value)
    assert msg.startswith(f"mmpretrain.OxfordIIITPet (data_root {missing!r})"
                          f": {missing}/annotations/trainval.txt does not "
                          'exist.')
    assert 'docs/data_preparation.md' in msg
    options = msg.split('--cfg-options ')[1].rstrip('.').split()
    assert options == [
        f'{loader}_dataloader.dataset.data_root=PATH'
        for loader in ('train', 'val', 'test')
    ]
    # the suggested option, with a folder that holds the dataset
    write_tiny_pets(str(tmp_path / 'pets'))
    cfg.merge_from_dict({
        key: str(tmp_path / 'pets')
        for key, _ in (o.split('=') for o in options)
        if key.startswith('train_')
    })
    loader = Runner.build_dataloader(cfg.train_dataloader)
    assert len(loader.dataset) == 4


def test_a_wrapped_dataset_names_its_inner_data_root(tmp_path):
    loader = dict(
        pets_loader(str(tmp_path / 'nowhere')),
        dataset=dict(
            type='ClassBalancedDataset',
            oversample_thr=0.5,
            dataset=pets_loader(str(tmp_path / 'nowhere'))['dataset']))
    with pytest.raises(
            FileNotFoundError,
            match=r'train_dataloader\.dataset\.dataset\.data_root'
            '=PATH'):
        Runner.build_dataloader(loader)


def test_a_dataset_that_explains_itself_is_left_as_it_is(tmp_path):
    loader = dict(
        pets_loader(None),
        dataset=dict(
            type='Caltech101RandomSplit',
            data_root=str(tmp_path),
            split='train',
            pipeline=[]))
    with pytest.raises(FileNotFoundError) as info:
        Runner.build_dataloader(loader)
    assert str(info.value).startswith('Caltech101RandomSplit:')
    assert '--cfg-options' not in str(info.value)
