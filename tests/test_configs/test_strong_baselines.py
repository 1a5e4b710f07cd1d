"""configs/llrd, configs/freeze, configs/ema: the lr of each layer group is
what the decay formula says (and stays in that ratio under the schedule),
frozen stages get no gradient and no update, and an EMA run keeps weights
equal to the formula, saves them in its checkpoints, and tools/test.py
evaluates them."""
import glob
import os.path as osp
import pickle
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS
from mmpretrain.structures import DataSample

from mmctune.registry import MODELS
from ..conftest import ROOT, run_python, write_tiny_config

DATASETS = ('aircraft', 'caltech101', 'cars', 'cifar10', 'cifar100', 'dtd',
            'flowers', 'imagenet20', 'inat18', 'pets')


def _model(cfg):
    model_cfg = cfg.model
    model_cfg.backbone.pop('init_cfg', None)
    if 'data_preprocessor' not in model_cfg:
        model_cfg.data_preprocessor = cfg.data_preprocessor
    return MODELS.build(model_cfg)


def _lr_of_every_parameter(model, optim_wrapper):
    lrs = {}
    by_id = {id(p): n for n, p in model.named_parameters()}
    for group in optim_wrapper.optimizer.param_groups:
        for p in group['params']:
            assert by_id[id(p)] not in lrs, 'a parameter in two groups'
            lrs[by_id[id(p)]] = group['lr']
    return lrs


def resnet50_layer_id(name):
    """The layer id of a ResNet-50 classifier's parameter, written out from
    mmpretrain's ResNet.get_layer_depth docstring: stem 0, layer1 1, layer2
    blocks by pairs 2-3, layer3 blocks by threes 4-5, layer4 6, head 7."""
    if not name.startswith('backbone.'):
        return 7
    parts = name.split('.')
    if not parts[1].startswith('layer'):
        return 0
    stage, block = int(parts[1][5:]), int(parts[2])
    return {1: 1, 2: 2 + block // 2, 3: 4 + block // 3, 4: 6}[stage]


def test_every_strong_baseline_has_a_demo_and_a_config_per_dataset():
    for method in ('llrd', 'freeze', 'ema'):
        names = {
            osp.basename(p)
            for p in glob.glob(osp.join(ROOT, 'configs', method, '*.py'))
        }
        assert names == {'r18-tiny_simclr_fmnist.py'
                         } | {f'r50_moco_{d}.py'
                              for d in DATASETS}


@pytest.mark.parametrize('dataset', DATASETS)
def test_llrd_r50_configs_use_mmpretrains_constructor(dataset):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'llrd', f'r50_moco_{dataset}.py'))
    base = Config.fromfile(
        osp.join(ROOT, 'configs', 'baselines', f'ce_r50_moco_{dataset}.py'))
    assert cfg.optim_wrapper.constructor == \
        'mmpretrain.LearningRateDecayOptimWrapperConstructor'
    assert cfg.optim_wrapper.paramwise_cfg == dict(layer_decay_rate=0.7)
    assert cfg.optim_wrapper.optimizer == base.optim_wrapper.optimizer


def test_llrd_r50_lr_per_layer_is_the_formula():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/llrd/r50_moco_cifar10.py'))
    model = _model(cfg)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lrs = _lr_of_every_parameter(model, wrapper)
    assert set(lrs) == {n for n, _ in model.named_parameters()}
    base_lr = cfg.optim_wrapper.optimizer.lr
    for name, lr in lrs.items():
        expected = base_lr * 0.7**(7 - resnet50_layer_id(name))
        assert lr == pytest.approx(expected, rel=1e-12), name
    assert lrs['head.fc.weight'] == base_lr
    assert lrs['backbone.conv1.weight'] == pytest.approx(base_lr * 0.7**7)
    assert lrs['backbone.layer3.5.conv1.weight'] == pytest.approx(base_lr *
                                                                  0.7**2)


def test_llrd_demo_lr_per_stage_is_the_formula_under_the_schedule():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/llrd/r18-tiny_simclr_fmnist.py'))
    model = _model(cfg)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    base_lr = cfg.optim_wrapper.optimizer.lr

    def stage(name):  # stem 0, layer1-4 1-4, head 5
        if not name.startswith('backbone.'):
            return 5
        part = name.split('.')[1]
        return int(part[5:]) if part.startswith('layer') else 0

    lrs = _lr_of_every_parameter(model, wrapper)
    assert {stage(n) for n in lrs} == set(range(6))
    for name, lr in lrs.items():
        assert lr == pytest.approx(base_lr * 0.7**(5 - stage(name))), name
    # the cosine schedule scales every group alike: the ratios stay
    sched = PARAM_SCHEDULERS.build(
        dict(type='CosineAnnealingLR', T_max=10, by_epoch=False),
        default_args=dict(optimizer=wrapper))
    for _ in range(4):
        sched.step()
    now = _lr_of_every_parameter(model, wrapper)
    factor = now['head.fc.weight'] / base_lr
    assert 0 < factor < 1
    for name in lrs:
        assert now[name] == pytest.approx(lrs[name] * factor), name


def _batch(n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[torch.rand(1, 28, 28, generator=g) * 255 for _ in range(n)],
        data_samples=[DataSample().set_gt_label(i % 10) for i in range(n)])


def test_frozen_stages_get_no_gradient_and_no_update():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/freeze/r18-tiny_simclr_fmnist.py'))
    assert cfg.model.backbone.frozen_stages == 1
    model = _model(cfg)
    model.init_weights()
    model.train()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for step in range(3):
        model.train_step(_batch(seed=step), wrapper)
    after = model.state_dict()
    frozen = ('backbone.conv1.', 'backbone.bn1.', 'backbone.layer1.')
    for name, p in model.named_parameters():
        if name.startswith(frozen):
            assert not p.requires_grad and p.grad is None, name
    for key, value in after.items():
        if 'num_batches_tracked' in key:
            continue
        if key.startswith(frozen):  # weights and BN statistics
            assert torch.equal(value, before[key]), key
    for key in ('backbone.layer2.0.conv1.weight',
                'backbone.layer2.0.bn1.running_mean', 'head.fc.weight'):
        assert not torch.equal(after[key], before[key]), key
    for m in model.backbone.layer1.modules():
        assert not m.training


@pytest.mark.parametrize('dataset', DATASETS)
def test_freeze_r50_configs_freeze_the_stem_and_stage_1(dataset):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'freeze', f'r50_moco_{dataset}.py'))
    assert cfg.model.backbone.frozen_stages == 1
    assert cfg.model.backbone.init_cfg.prefix == 'module.encoder_q.'


@pytest.mark.parametrize('dataset', DATASETS + ('fmnist', ))
def test_ema_configs_switch_the_hook_on(dataset):
    name = 'r18-tiny_simclr_fmnist.py' if dataset == 'fmnist' else \
        f'r50_moco_{dataset}.py'
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'ema', name))
    (hook, ) = cfg.custom_hooks
    assert hook.type == 'EMAHook' and hook.update_buffers
    assert hook.priority == 'ABOVE_NORMAL'
    # the horizon 1 / momentum is about a tenth of the training iterations,
    # as each config's header computes it
    with open(osp.join(ROOT, 'configs', 'ema', name)) as f:
        text = f.read().replace('\n# ', ' ')
    iters = int(
        re.search(r'([\d,]+) in \d+ epochs', text).group(1).replace(',', ''))
    assert 0.08 < 1 / hook.momentum / iters < 0.12


class RecordWeights(Hook):
    """Keeps the model's state after every training iteration."""
    priority = 'LOWEST'

    def __init__(self):
        self.states = []

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.states.append({
            k: v.detach().clone()
            for k, v in runner.model.state_dict().items()
        })


def test_ema_run_keeps_the_formula_and_test_py_evaluates_it(
        tiny_fmnist, tmp_path):
    from mmctune.engine.runner import Runner
    cfg_path = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base='configs/ema/r18-tiny_simclr_fmnist.py')
    cfg = Config.fromfile(cfg_path)
    momentum = cfg.custom_hooks[0].momentum
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    record = RecordWeights()
    runner.register_hook(record)
    runner.train()
    states = record.states
    assert len(states) == 4  # 64 images, batch 16, one epoch
    expected = dict(states[0])
    for state in states[1:]:
        for k, v in state.items():
            if v.is_floating_point():
                expected[k] = (1 - momentum) * expected[k] + momentum * v
    ckpt = torch.load(
        osp.join(cfg.work_dir, 'epoch_1.pth'), weights_only=False)
    saved, trained = ckpt['state_dict'], ckpt['ema_state_dict']
    key = 'backbone.layer2.0.conv1.weight'
    assert not torch.allclose(expected[key], states[-1][key])
    for k, v in expected.items():
        if v.is_floating_point():  # weights and BN statistics
            torch.testing.assert_close(
                saved[k], v, rtol=1e-5, atol=1e-6, msg=k)
            # the trained weights are kept for --resume
            torch.testing.assert_close(trained['module.' + k], states[-1][k])

    # tools/test.py scores the EMA weights: its predictions are the EMA
    # model's, not the trained one's
    out = str(tmp_path / 'preds.pkl')
    r = run_python(args=[
        osp.join(ROOT, 'tools', 'test.py'), cfg_path,
        osp.join(cfg.work_dir, 'epoch_1.pth'), '--work-dir',
        str(tmp_path / 'test'), '--out', out
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    model = _model(Config.fromfile(cfg_path)).eval()
    loader = Runner.build_dataloader(cfg.test_dataloader)
    data = next(iter(loader))
    scores = {}
    for name, state in (('ema', expected), ('trained', states[-1])):
        model.load_state_dict(state)
        with torch.no_grad():
            scores[name] = torch.stack(
                [s.pred_score for s in model.test_step(data)])
    dumped = torch.stack(
        [torch.as_tensor(p['pred_score']) for p in preds[:len(scores['ema'])]])
    torch.testing.assert_close(dumped, scores['ema'], rtol=1e-4, atol=1e-5)
    assert not torch.allclose(dumped, scores['trained'], atol=1e-5)

    # so does the training runner's own test() (the demo's and the sweeps'
    # path), although test() makes mmengine's EMAHook start a new average
    # from the current weights; the trained weights are back afterwards
    tested = RecordTestScores()
    runner.register_hook(tested)
    runner.test()
    torch.testing.assert_close(
        tested.scores[:len(scores['ema'])],
        scores['ema'],
        rtol=1e-4,
        atol=1e-5)
    torch.testing.assert_close(runner.model.state_dict()[key], states[-1][key])


class RecordTestScores(Hook):
    """The predicted scores of every test batch, in order."""

    def __init__(self):
        self.batches = []

    def after_test_iter(self,
                        runner,
                        batch_idx,
                        data_batch=None,
                        outputs=None):
        self.batches.append(torch.stack([s.pred_score for s in outputs]))

    @property
    def scores(self):
        return torch.cat(self.batches)


def test_ema_switches_on_from_the_command_line(tiny_fmnist, tmp_path):
    """Any config, no file: mmengine's Runner registers extra entries of
    default_hooks, and --cfg-options may add one (it names its type)."""
    import argparse

    from mmengine.config import DictAction
    from mmengine.hooks import EMAHook

    from mmctune.engine.runner import Runner
    from mmctune.utils.cfg_check import check_cfg_options
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args([
        '--cfg-options', 'default_hooks.ema.type=EMAHook',
        'default_hooks.ema.momentum=0.02',
        'default_hooks.ema.update_buffers=True',
        'default_hooks.ema.priority=ABOVE_NORMAL'
    ]).cfg_options
    cfg = Config.fromfile(write_tiny_config(tmp_path / 'cfg.py', tiny_fmnist))
    check_cfg_options(cfg, options)
    cfg.merge_from_dict(options)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    (hook, ) = [h for h in runner.hooks if isinstance(h, EMAHook)]
    assert hook.ema_cfg == dict(
        type='ExponentialMovingAverage', momentum=0.02, update_buffers=True)
    runner.train()
    ckpt = torch.load(
        osp.join(cfg.work_dir, 'epoch_1.pth'), weights_only=False)
    assert 'ema_state_dict' in ckpt
