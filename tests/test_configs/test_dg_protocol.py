"""The domain-generalisation configs follow DomainBed, the protocol the
Core-tuning paper's §5.3 (Table 8) builds on: a batch of 32 from each
source domain every step (96 for three sources), and the ResNet's
BatchNorm frozen as DomainBed's ``ResNet.freeze_bn`` does (every BN layer
in eval mode, its weight and bias still trained); and Table 8's
supervised-pre-training CE row has a config for every target."""
import glob
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from PIL import Image
from torch.nn.modules.batchnorm import _BatchNorm

from mmctune.registry import MODELS
from mmctune.utils import register_all_modules
from ..conftest import ROOT

register_all_modules()
PACS_CE = osp.join(ROOT, 'configs/dg/ce_r50_moco_pacs_art_painting.py')
PAPER_DG = sorted(glob.glob(osp.join(ROOT, 'configs/dg/*_r50_*.py')))
TARGETS = dict(
    pacs=('art_painting', 'cartoon', 'photo', 'sketch'),
    vlcs=('caltech101', 'labelme', 'sun09', 'voc2007'),
    officehome=('art', 'clipart', 'product', 'real_world'))


@pytest.mark.parametrize('path', PAPER_DG, ids=osp.basename)
def test_domainbed_batch_and_frozen_bn_in_every_config(path):
    # 3 methods x 3 datasets x 4 targets from MoCo v2, CE x 12 supervised
    assert len(PAPER_DG) == 48
    cfg = Config.fromfile(path)
    assert cfg.train_dataloader.batch_size == 96
    assert cfg.auto_scale_lr.base_batch_size == 96
    assert cfg.train_dataloader.sampler.type == 'DomainBalancedSampler'
    assert cfg.model.backbone.type == 'mmpretrain.ResNet'
    assert cfg.model.backbone.norm_eval is True
    # the norm layers keep their affine parameters trainable
    assert cfg.model.backbone.get('norm_cfg', dict(requires_grad=True)).get(
        'requires_grad', True)


def test_supervised_ce_rows_cover_every_target():
    """Table 8's first row: CE-tuning from supervised ImageNet weights, the
    MoCo v2 CE config of the same target but for the weights and the
    method's name in the results."""
    names = {osp.basename(p) for p in PAPER_DG if '_supervised_' in p}
    assert names == {
        f'ce_r50_supervised_{d}_{t}.py'
        for d, ts in TARGETS.items()
        for t in ts
    }
    for name in names:
        sl = Config.fromfile(osp.join(ROOT, 'configs/dg', name))
        moco = Config.fromfile(
            osp.join(ROOT, 'configs/dg', name.replace('supervised', 'moco')))
        init = sl.model.backbone.pop('init_cfg')
        assert init == dict(
            type='Pretrained',
            checkpoint='torchvision://resnet50',
            prefix=None)
        assert moco.model.backbone.pop('init_cfg').checkpoint.startswith(
            'https://dl.fbaipublicfiles.com/moco/')
        assert sl.model == moco.model
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                    'optim_wrapper', 'param_scheduler', 'train_cfg',
                    'auto_scale_lr', 'default_hooks'):
            assert sl[key] == moco[key], key
        assert sl.custom_hooks == [
            dict(type='TargetDomainTestHook', method='SL-CE-tuning')
        ]


def fake_pacs(root, per_class=(5, 5, 10, 3)):
    """PACS's layout, tiny: 4 domains x 7 classes of 8x8 images, domain d
    with per_class[d] images per class (unequal domains)."""
    classes = ('dog', 'elephant', 'giraffe', 'guitar', 'horse', 'house',
               'person')
    rng = np.random.default_rng(0)
    for d, domain in enumerate(('art_painting', 'cartoon', 'photo', 'sketch')):
        for c in classes:
            folder = osp.join(root, domain, c)
            os.makedirs(folder)
            for i in range(per_class[d]):
                Image.fromarray(
                    rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(
                        osp.join(folder, f'{i}.jpg'))
    return str(root)


def test_each_step_takes_32_images_of_each_source_domain(tmp_path):
    """The training dataloader of the config, as the Runner builds it, on a
    fake PACS whose source domains have 28, 56 and 14 training images:
    every batch is 96 images, 32 from each of cartoon, photo and sketch,
    none from the target art_painting (small domains are revisited, as
    DomainBed's infinite loaders do)."""
    cfg = Config.fromfile(PACS_CE)
    loader_cfg = cfg.train_dataloader
    loader_cfg.dataset.data_root = fake_pacs(tmp_path / 'PACS')
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    domains = loader.dataset.metainfo['domains']
    sources = [domains.index(d) for d in ('cartoon', 'photo', 'sketch')]
    sizes = np.bincount(loader.dataset.get_domain_labels(), minlength=4)
    # per class: 5 - 1, 10 - 2, 3 - 1 (the held-out 20%, at least 1)
    assert sizes.tolist() == [0, 28, 56, 14]
    seen = []
    for step, batch in zip(range(3), loader):
        samples = batch['data_samples']
        assert len(samples) == batch['inputs'].shape[0] == 96
        assert batch['inputs'].shape[1:] == (3, 224, 224)
        ids = np.array([s.domain_label for s in samples])
        counts = np.bincount(ids, minlength=4)
        assert counts[sources].tolist() == [32, 32, 32], counts
        assert counts[domains.index('art_painting')] == 0
        seen += [s.img_path for s in samples if s.domain_label == 3]
    # sketch's 14 images, drawn 96 times in 3 steps: each of them repeatedly
    assert len(set(seen)) == 14 and len(seen) == 96


def _bn(model):
    return [m for m in model.backbone.modules() if isinstance(m, _BatchNorm)]


def _model_cfg():
    cfg = Config.fromfile(PACS_CE)
    cfg.model.backbone.pop('init_cfg')  # no download here
    cfg.model.data_preprocessor = cfg.data_preprocessor
    return cfg


def _step(norm_eval, inputs):
    cfg = _model_cfg()
    cfg.model.backbone.norm_eval = norm_eval
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    # random, non-trivial statistics and affine parameters, as pre-trained
    # BN layers have (mmpretrain's init zeroes each block's last BN weight,
    # which would leave the block's other BN layers without gradient)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for bn in _bn(model):
            bn.running_mean.uniform_(-0.5, 0.5, generator=g)
            bn.running_var.uniform_(0.5, 2.0, generator=g)
            bn.weight.uniform_(0.5, 1.5, generator=g)
            bn.bias.uniform_(-0.1, 0.1, generator=g)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = cfg.optim_wrapper.optimizer
    optim = OptimWrapper(
        torch.optim.Adam(
            model.parameters(), lr=opt.lr, weight_decay=opt.weight_decay))
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i % 7) for i in range(len(inputs))]
    model.train_step(dict(inputs=list(inputs), data_samples=samples), optim)
    return model, before


def test_frozen_bn_keeps_the_running_statistics_and_trains_the_affine():
    """A training step of the config's model (Adam, the config's lr): the
    backbone's BN layers stay in eval mode through ``train()``, their
    running mean, variance and count do not move, their weight and bias
    do (DomainBed's freeze_bn: ``m.eval()`` only, and Adam over all the
    network's parameters). The same step with ``norm_eval=False`` moves
    the statistics, so the test can tell."""
    inputs = torch.randint(
        0,
        256, (4, 3, 32, 32),
        dtype=torch.uint8,
        generator=torch.Generator().manual_seed(0))
    model, before = _step(True, inputs)
    bns = _bn(model)
    assert len(bns) == 53  # ResNet-50: stem + 16 blocks x 3 + 4 downsample
    assert model.training and not any(bn.training for bn in bns)
    model.train()  # what the Runner calls every epoch
    assert not any(bn.training for bn in bns)
    state = model.state_dict()
    stats = [
        k for k in state
        if k.startswith('backbone.') and k.endswith(('running_mean',
                                                     'running_var',
                                                     'num_batches_tracked'))
    ]
    assert len(stats) == 3 * 53
    for k in stats:
        assert torch.equal(state[k], before[k]), k
    for name, p in model.backbone.named_parameters():
        if name.rsplit('.', 1)[-1] in ('weight', 'bias') and any(
                name.startswith(n + '.')
                for n, m in model.backbone.named_modules()
                if isinstance(m, _BatchNorm)):
            assert p.requires_grad
            assert not torch.equal(p.detach(), before['backbone.' + name]), \
                name

    unfrozen, before = _step(False, inputs)
    state = unfrozen.state_dict()
    moved = [k for k in stats if not torch.equal(state[k], before[k])]
    assert len(moved) == len(stats)


def test_frozen_bn_makes_each_image_independent_of_its_batch():
    """In training mode, with BN frozen, an image's features do not depend
    on the other images of the batch (BN normalises with its running
    statistics, not the batch's): DomainBed's per-domain minibatches can be
    concatenated without changing any image's forward."""
    cfg = _model_cfg()
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        a = model.extract_feat(x[[0, 1]])[0][0]
        b = model.extract_feat(x[[0, 2]])[0][0]
        torch.testing.assert_close(a, b)
        cfg.model.backbone.norm_eval = False
        plain = MODELS.build(cfg.model).train()
        a = plain.extract_feat(x[[0, 1]])[0][0]
        b = plain.extract_feat(x[[0, 2]])[0][0]
        assert not torch.allclose(a, b)


def test_table8_rows_start_with_the_supervised_ce_row(tmp_path):
    """collect_dg_results.py lists Table 8's rows in the paper's order:
    supervised CE (``SL-CE-tuning``, the name the supervised configs give
    TargetDomainTestHook), then MoCo v2's CE-tuning, CE-Con, Core-tuning."""
    import json

    from ..test_tools.tool_loader import load_tool
    collect = load_tool('analysis_tools/collect_dg_results.py')
    methods = ('Core-tuning', 'CE-Con', 'SL-CE-tuning', 'CE-tuning')
    for i, method in enumerate(methods):
        folder = tmp_path / method
        folder.mkdir()
        record = dict(
            dataset='PACS',
            method=method,
            domains=['art_painting'],
            target_domain='art_painting',
            selections=dict(
                last=dict(metrics={'accuracy/top1': 80.0 + i}),
                train_domain_val=dict(metrics={'accuracy/top1': 70.0 + i})))
        (folder / 'target_domain_results.json').write_text(json.dumps(record))
    text = collect.main(['--root', str(tmp_path)])
    last = text.split('selection: last checkpoint')[1]
    rows = [
        ln.split(' | ')[0][2:] for ln in last.splitlines()
        if ln.startswith('| ') and not ln.startswith('| method')
    ]
    assert rows == ['SL-CE-tuning', 'CE-tuning', 'CE-Con', 'Core-tuning']
    assert '| SL-CE-tuning | 82.00 | 82.00 |' in last
