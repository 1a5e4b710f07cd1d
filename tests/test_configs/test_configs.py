"""Every config parses, uses the mmctune scope, names only types that
resolve there, and builds its model."""
import functools
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import FUNCTIONS

from mmctune import registry
from mmctune.utils import register_all_modules
from ..conftest import ROOT, load_config

register_all_modules()
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)
REGISTRIES = [getattr(registry, name)
              for name in registry.__all__] + [FUNCTIONS]  # collate_fn
# the model configs built so far in this process: configs that differ only
# outside ``model`` (datasets' pipelines, schedules, attack budgets) build
# the same model once
BUILT = set()
# the parameters' initialisers, which set values the test does not look at
# (most of a ResNet-50's build time)
INITIALISERS = ('kaiming_uniform_', 'kaiming_normal_', 'uniform_', 'normal_',
                'trunc_normal_', 'xavier_uniform_', 'xavier_normal_',
                'constant_', 'zeros_', 'ones_')
_REGISTER_PARAMETER = torch.nn.Module.register_parameter


def register_on_meta(module, name, param):
    """``nn.Module.register_parameter`` keeping the parameter's shape and
    dtype on the meta device: no memory, so the copies a model makes of its
    weights (an L2-SP anchor, a frozen source model) cost nothing."""
    if param is not None and param.device.type != 'meta':
        param = torch.nn.Parameter(
            param.data.to('meta'), requires_grad=param.requires_grad)
    _REGISTER_PARAMETER(module, name, param)


@functools.lru_cache(maxsize=None)
def resolves(name):
    """Whether a registry of the mmctune scope has ``name`` (once per name:
    a registry that lacks it tries to import it as a module path, which
    costs a search of the whole ``sys.path``)."""
    return any(r.get(name) is not None for r in REGISTRIES)


def types_in(node, path=''):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'type' and isinstance(value, str):
                yield path, value
            else:
                yield from types_in(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from types_in(value, f'{path}[{i}]')


def test_configs_found():
    names = [osp.relpath(p, osp.join(ROOT, 'configs')) for p in CONFIGS]
    for dataset in ('imagenet20', 'cifar10', 'cifar100', 'caltech101', 'dtd',
                    'aircraft', 'cars', 'pets', 'flowers', 'inat18'):
        assert f'baselines/ce_r50_moco_{dataset}.py' in names


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config(path, monkeypatch):
    cfg = load_config(path)
    assert cfg.default_scope == 'mmctune'
    for where, name in types_in(cfg.to_dict()):
        if '.' not in name or name.split('.')[0] in ('mmpretrain', 'mmseg',
                                                     'mmengine', 'mmctune'):
            assert resolves(name), \
                f'{where}: type {name!r} does not resolve in scope mmctune'
    model = cfg.model
    model.get('backbone', {}).pop('init_cfg', None)  # no downloads here
    if 'data_preprocessor' not in model and 'data_preprocessor' in cfg:
        model.data_preprocessor = cfg.data_preprocessor
    key = repr(model.to_dict())
    if key in BUILT:
        return
    for name in INITIALISERS:
        monkeypatch.setattr(torch.nn.init, name, lambda t, *a, **k: t)
    monkeypatch.setattr(torch.nn.Module, 'register_parameter',
                        register_on_meta)
    built = registry.MODELS.build(model)
    assert isinstance(built, torch.nn.Module)
    assert sum(p.numel() for p in built.parameters()) > 0
    BUILT.add(key)


@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if '/baselines/ce_r50_moco_' in p],
    ids=osp.basename)
def test_paper_settings(path):
    """Appendix C.2 of the Core-tuning paper."""
    cfg = Config.fromfile(path)
    opt = cfg.optim_wrapper.optimizer
    name = osp.basename(path)
    # Nesterov "for most datasets"; ImageNet20: "stochastic gradient descent"
    assert (opt.type, opt.momentum, opt.weight_decay, opt.nesterov) == \
        ('SGD', 0.9, 1e-4, 'imagenet20' not in name)
    big = any(d in name for d in ('imagenet20', 'inat18'))
    assert opt.lr == (0.1 if big else 0.01)
    small = ('aircraft', 'cars', 'pets', 'flowers')
    if any(d in name for d in small):
        batch = 64
    else:
        batch = 128 if 'inat18' in name else 256
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.auto_scale_lr.base_batch_size == batch
    assert cfg.train_cfg.max_epochs == (160 if 'inat18' in name else 100)
    sched = cfg.param_scheduler
    assert sched.type == ('PolyLR'
                          if 'imagenet20' in name else 'CosineAnnealingLR')
    backbone = cfg.model.backbone
    assert backbone.depth == 50
    assert backbone.init_cfg.prefix == 'module.encoder_q.'


# eta, alpha of the Core-tuning paper, appendix C.2
APPENDIX_C2 = dict(
    imagenet20=(0.1, 1),
    cifar10=(0.1, 1),
    cifar100=(1, 0.1),
    caltech101=(1, 0.1),
    dtd=(0.1, 1),
    aircraft=(0.1, 0.1),
    cars=(0.1, 0.1),
    pets=(0.1, 1),
    flowers=(1, 0.1),
    inat18=(10, 1))


@pytest.mark.parametrize('dataset', sorted(APPENDIX_C2))
def test_coretune_and_scl_settings(dataset):
    cfgs = {
        name: Config.fromfile(osp.join(ROOT, 'configs', path))
        for name, path in (('ce', f'baselines/ce_r50_moco_{dataset}.py'),
                           ('scl', f'baselines/scl_r50_moco_{dataset}.py'),
                           ('core', f'coretune/r50_moco_{dataset}.py'))
    }
    eta, alpha = APPENDIX_C2[dataset]
    core = cfgs['core'].model.head
    assert core.type == 'FeatureRegularizedClsHead'
    assert (core.con_loss.type, core.con_loss.temperature) == \
        ('FocalSupConLoss', 0.07)
    # one knob: eta is the loss's loss_weight
    assert core.con_loss.loss_weight == eta
    assert 'con_weight' not in core
    miner = registry.MODELS.build(core.miner)
    assert (type(miner).__name__, miner.alpha, miner.lambda_n,
            miner.lambda_p) == ('HardnessDirectedMixup', alpha, 0.8, 0)
    scl = cfgs['scl'].model.head
    assert scl.con_loss.type == 'SupConLoss' and 'miner' not in scl
    assert scl.con_loss.loss_weight == eta
    assert cfgs['ce'].model.head.get('con_loss') is None
    # only the head differs from CE-tuning
    for name in ('scl', 'core'):
        for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                    'train_dataloader', 'val_dataloader', 'data_preprocessor',
                    'auto_scale_lr'):
            assert cfgs[name][key] == cfgs['ce'][key], (name, key)
        assert cfgs[name].model.backbone == cfgs['ce'].model.backbone
        assert cfgs[name].model.head.num_classes == \
            cfgs['ce'].model.head.num_classes


DG_DOMAINS = dict(
    pacs=('art_painting', 'cartoon', 'photo', 'sketch'),
    vlcs=('Caltech101', 'LabelMe', 'SUN09', 'VOC2007'),
    officehome=('Art', 'Clipart', 'Product', 'Real_World'))
DG_METHODS = {'ce': 'CE-tuning', 'ce-con': 'CE-Con', 'coretune': 'Core-tuning'}
DG_CONFIGS = [p for p in CONFIGS if '/dg/' in p and '_r50_moco_' in p]


def test_dg_configs_cover_every_method_and_target():
    names = {osp.basename(p) for p in DG_CONFIGS}
    assert names == {
        f'{m}_r50_moco_{d}_{t.lower()}.py'
        for m in DG_METHODS
        for d, ts in DG_DOMAINS.items()
        for t in ts
    }


@pytest.mark.parametrize('path', DG_CONFIGS, ids=osp.basename)
def test_dg_paper_settings(path):
    """The Core-tuning paper's §5.3, leave-one-domain-out."""
    cfg = Config.fromfile(path)
    method, _, _, dataset, *target = osp.basename(path)[:-3].split('_')
    target = '_'.join(target)
    # the one target named by the file, in every split
    domains = {
        cfg[f'{s}_dataloader'].dataset.target_domain
        for s in ('train', 'val', 'test')
    }
    assert {d.lower() for d in domains} == {target} and len(domains) == 1
    assert domains <= set(DG_DOMAINS[dataset])
    splits = [
        cfg[f'{s}_dataloader'].dataset.split for s in ('train', 'val', 'test')
    ]
    assert splits == ['train', 'val', 'test']
    assert cfg.train_dataloader.dataset.val_fraction == 0.2
    opt = cfg.optim_wrapper.optimizer
    # C.3: "All other hyper-parameters ... the same as image classification"
    assert (opt.type, opt.lr, opt.weight_decay) == ('Adam', 5e-5, 1e-4)
    assert cfg.param_scheduler.type == 'ExponentialLR'
    assert cfg.train_cfg.max_iters == 20000
    # DomainBed: 32 images per source domain, three sources a step
    assert cfg.train_dataloader.batch_size == 96
    assert [t.type.split('.')[-1] for t in cfg.train_pipeline] == [
        'LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'ColorJitter',
        'RandomGrayscale', 'PackInputs'
    ]
    assert cfg.train_pipeline[1].scale == 224
    assert cfg.test_pipeline[1].scale == (224, 224)
    assert cfg.default_hooks.checkpoint.save_best == \
        'accuracy/domain_mean/top1'
    assert cfg.custom_hooks == [
        dict(type='TargetDomainTestHook', method=DG_METHODS[method])
    ]
    head = cfg.model.head
    assert head.type == 'FeatureRegularizedClsHead'
    assert (head.get('con_loss') is None) == (method == 'ce')
    assert ('miner' in head) == (method == 'coretune')


def test_imagenet_mobilenet_v2_fmnist_config(tmp_path):
    """configs/baselines/ce_mbv2_in1k_fmnist.py: a 28x28 grey image is
    resized to 32x32 and reaches the backbone as 3 channels, the grey value
    normalised with ImageNet's mean and std of each channel; the converted
    ImageNet weights load strictly."""
    import numpy as np
    import torch
    from mmcv.transforms import Compose

    from ..test_tools.tool_loader import load_tool
    mobilenet_v2_imagenet = load_tool(
        'model_converters/mobilenet_v2_imagenet.py')
    ckpt = str(tmp_path / 'mobilenet_v2_imagenet.pth')
    mobilenet_v2_imagenet.main([ckpt])
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/baselines/ce_mbv2_in1k_fmnist.py'))
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    model = registry.MODELS.build(cfg.model)
    model.init_weights()
    weights = torch.load(ckpt)['state_dict']
    assert torch.equal(model.backbone.conv2.conv.weight,
                       weights['conv2.conv.weight'])

    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    img = np.random.default_rng(0).integers(0, 256, (28, 28), np.uint8)
    packed = pipeline(dict(img=img, gt_label=3))
    grey = packed['inputs'].float()
    assert grey.shape == (1, 32, 32)
    data = model.data_preprocessor(
        dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]))
    x = data['inputs']
    assert x.shape == (1, 3, 32, 32)
    for c, (mean, std) in enumerate(
            zip(cfg.model.data_preprocessor.mean,
                cfg.model.data_preprocessor.std)):
        torch.testing.assert_close(x[0, c], (grey[0] - mean) / std)
