"""The configs that reproduce the papers' tables hold the settings the
tables state: Table 13's sweeps fix the other threshold at 0.8 (appendix
E.4), the E.1/E.2/E.3 sweeps run on ImageNet20 and vary only what their
names say, Table 2's rows switch on exactly their components on each of
Table 1's nine datasets, Tables 3-4 pair each network with a CE-tuning
counterpart under the dataset's settings, and every config that
docs/configs.md's table of paper tables names exists."""
import glob
import itertools
import os.path as osp
import re

import pytest
import torch.nn as nn
from mmengine.config import Config

from mmctune import registry
from mmctune.utils import register_all_modules
from ..conftest import ROOT, load_config

register_all_modules()
CONFIGS = osp.join(ROOT, 'configs')
ABL = 'coretune/ablations'
# Table 1's (and Table 2's) nine datasets
TABLE1 = ('imagenet20', 'cifar10', 'cifar100', 'caltech101', 'dtd', 'aircraft',
          'cars', 'pets', 'flowers')
# Tables 3 and 4: the datasets they report, and the networks
TABLE34_DATASETS = ('caltech101', 'dtd', 'pets')
TABLE3 = ('r50_insdis', 'r50_pirl', 'r50_mocov1', 'r50_infomin',
          'r50_deepclusterv2', 'r50_swav', 'r50_byol', 'r50_supervised')
# the supplement's Table 9: SimCLR v1 and v2 on Table 3's datasets
TABLE9 = ('r50_simclrv1', 'r50_simclrv2')
TABLE4 = ('r101_infomin', 'r152_infomin', 'x101-32x4d_infomin',
          'x152-32x4d_infomin', 'deit-s16_dino')
# appendix C.2: eta, alpha
C2 = dict(
    imagenet20=(0.1, 1),
    cifar10=(0.1, 1),
    cifar100=(1, 0.1),
    caltech101=(1, 0.1),
    dtd=(0.1, 1),
    aircraft=(0.1, 0.1),
    cars=(0.1, 0.1),
    pets=(0.1, 1),
    flowers=(1, 0.1))


def load(rel):
    return load_config(osp.join(CONFIGS, rel))


def without(cfg, *paths):
    """``cfg`` as a plain dict with the dotted ``paths`` removed, and the
    variables that _base_ fragments leave at the top level."""
    d = cfg.to_dict()
    d.pop('pretrained_model', None)
    for path in paths:
        *parents, last = path.split('.')
        node = d
        for p in parents:
            node = node.get(p, {})
        node.pop(last, None)
    return d


def ablations(pattern):
    """(name, config path under configs/) of the ablations matching a glob
    pattern of file names."""
    paths = sorted(glob.glob(osp.join(CONFIGS, ABL, pattern)))
    return [(osp.basename(p)[:-3], osp.relpath(p, CONFIGS)) for p in paths]


def miner_of(cfg):
    return registry.MODELS.build(cfg.model.head.miner)


CORE_IN20 = 'coretune/r50_moco_imagenet20.py'

# -- appendix E.4, Table 13 -------------------------------------------------


def test_table13_fixes_the_other_threshold_at_0_8():
    """"each run tests one parameter and fixes another one to 0.8": the
    lambda_n sweep at lambda_p = 0.8, the lambda_p sweep at lambda_n = 0.8,
    with Core-tuning itself (lambda_n 0.8, lambda_p 0) the lambda_p sweep's
    first point; the five points of each sweep are all there."""
    found = ablations('r50_moco_imagenet20_lambda-*.py')
    assert len(found) == 8
    points = set()
    for name, rel in found:
        n, p = map(
            float,
            re.fullmatch(r'.*lambda-n([\d.]+)-p([\d.]+)', name).groups())
        miner = miner_of(load(rel))
        assert (miner.lambda_n, miner.lambda_p) == (n, p), name
        assert 0.8 in (n, p), f'{name} fixes neither threshold at 0.8'
        points.add((n, p))
    main = miner_of(load(CORE_IN20))
    points.add((main.lambda_n, main.lambda_p))
    grid = (0.0, 0.2, 0.4, 0.6, 0.8)
    lambda_n_sweep = {(n, 0.8) for n in grid}
    lambda_p_sweep = {(0.8, p) for p in grid}
    assert points == lambda_n_sweep | lambda_p_sweep
    assert (main.lambda_n, main.lambda_p) == (0.8, 0)


@pytest.mark.parametrize(
    'name,rel',
    [a for a in ablations('r50_moco_imagenet20_*.py') if 'table2' not in a[0]],
    ids=lambda x: x)
def test_imagenet20_ablations_change_only_the_head(name, rel):
    """E.1-E.4 run on ImageNet20 (the supplement's dataset): everything but
    the head is ImageNet20 Core-tuning's, and so is the head but for the
    one setting the name varies (Table 2's rows: test_table2_rows)."""
    cfg, core = load(rel), load(CORE_IN20)
    assert without(cfg, 'model.head') == without(core, 'model.head')
    varied = {
        'lambda': ('miner', ),
        'proj': ('projector', ),
        'tau': ('con_loss', ),
        'eta': ('con_loss', 'miner'),
    }[re.match(r'r50_moco_imagenet20_([a-z]+)', name).group(1)]
    head, core_head = cfg.model.head.to_dict(), core.model.head.to_dict()
    for key in varied:
        head.pop(key, None)
        core_head.pop(key, None)
    assert head == core_head


# -- appendix E.1, E.2 (eta, alpha), E.3 (tau) on ImageNet20 -------------


def linear_dims(projector_cfg):
    projector = registry.MODELS.build(projector_cfg)
    return [(m.in_features, m.out_features) for m in projector.modules()
            if isinstance(m, nn.Linear)]


def test_e1_projector_dims_and_depths_are_their_names():
    dims = ablations('r50_moco_imagenet20_proj-dim*.py')
    depths = ablations('r50_moco_imagenet20_proj-depth*.py')
    assert sorted(int(n.split('dim')[1]) for n, _ in dims) == [128, 512, 1024]
    assert sorted(int(n.split('depth')[1]) for n, _ in depths) == [1, 3]
    for name, rel in dims:
        out = int(name.split('dim')[1])
        # 2048 -> 2048 -> out: two layers, the default depth
        assert linear_dims(load(rel).model.head.projector) == \
            [(2048, 2048), (2048, out)], name
    for name, rel in depths:
        depth = int(name.split('depth')[1])
        layers = linear_dims(load(rel).model.head.projector)
        assert len(layers) == depth, name
        assert layers[0][0] == 2048 and layers[-1][1] == 256, name
    # the default point of both sweeps is Core-tuning's own projector
    head = load(CORE_IN20).model.head
    assert 'projector' not in head  # the head's default, 2048 -> 2048 -> 256
    built = registry.MODELS.build(head.to_dict() | dict(num_classes=20))
    assert [(m.in_features, m.out_features) for m in built.projector.modules()
            if isinstance(m, nn.Linear)] == [(2048, 2048), (2048, 256)]


def test_e3_temperatures_include_0_01():
    taus = {}
    for name, rel in ablations('r50_moco_imagenet20_tau*.py'):
        con = load(rel).model.head.con_loss
        assert con.type == 'FocalSupConLoss', name
        assert con.temperature == float(name.split('tau')[1]), name
        taus[name] = con.temperature
    assert 0.01 in taus.values()
    core = load(CORE_IN20).model.head.con_loss.temperature
    assert sorted([*taus.values(), core]) == [0.01, 0.05, 0.07, 0.1, 0.2, 0.5]


def test_e2_eta_alpha_grid():
    points = set()
    for name, rel in ablations('r50_moco_imagenet20_eta*-alpha*.py'):
        eta, alpha = map(
            float,
            re.fullmatch(r'.*eta([\d.]+)-alpha([\d.]+)', name).groups())
        head = load(rel).model.head
        assert head.con_loss.type == 'FocalSupConLoss'
        assert (head.con_loss.loss_weight, miner_of(load(rel)).alpha) == \
            (eta, alpha), name
        points.add((eta, alpha))
    core = load(CORE_IN20).model.head
    points.add((core.con_loss.loss_weight, core.miner.alpha))
    assert points == set(itertools.product((0.1, 1, 10), (0.1, 1)))


# -- Table 2 on its nine datasets -------------------------------------------

# row -> (config, contrastive loss, miner)
TABLE2_ROWS = {
    'CE': ('baselines/ce_r50_moco_{}.py', None, None),
    '+L_con': ('baselines/scl_r50_moco_{}.py', 'SupConLoss', None),
    '+mix': (ABL + '/r50_moco_{}_table2-mix.py', None, 'ManifoldMixup'),
    '+L_con +mix-H': (ABL + '/r50_moco_{}_table2-lcon-mixh.py', 'SupConLoss',
                      'HardnessDirectedMixup'),
    'Core-tuning':
    ('coretune/r50_moco_{}.py', 'FocalSupConLoss', 'HardnessDirectedMixup'),
}


@pytest.mark.parametrize('dataset', TABLE1)
def test_table2_rows(dataset):
    """Each row turns on exactly the components it names, with the
    dataset's eta (contrastive rows) and alpha (mixup rows); all else is
    the dataset's CE-tuning config."""
    eta, alpha = C2[dataset]
    ce = load(TABLE2_ROWS['CE'][0].format(dataset))
    for row, (path, con, miner) in TABLE2_ROWS.items():
        cfg = load(path.format(dataset))
        head = cfg.model.head
        assert (head.get('con_loss') or {}).get('type') == con, row
        assert (head.get('miner') or {}).get('type') == miner, row
        assert not head.get('feature_losses'), row
        assert head.get('smooth_classifier', True), row
        if con:
            assert head.con_loss.loss_weight == eta, row
            assert head.con_loss.temperature == 0.07, row
        if miner:
            built = miner_of(cfg)
            assert built.alpha == alpha, row
            if miner == 'HardnessDirectedMixup':
                assert (built.lambda_n, built.lambda_p) == (0.8, 0), row
        assert without(cfg, 'model.head') == without(ce, 'model.head'), row


# -- Tables 3 and 4, Table 1's SL-CE-tuning row -----------------------------


def fragment(name):
    return load(f'_base_/pretrained/{name}.py').pretrained_model.to_dict()


@pytest.mark.parametrize(
    'net,dataset',
    list(itertools.product(TABLE3 + TABLE4 + TABLE9, TABLE34_DATASETS)),
    ids=lambda x: x)
def test_tables_3_4_9_pairs(net, dataset):
    """Core-tuning and its CE-tuning counterpart of each network on each
    dataset the tables report (Tables 3-4 of the paper, Table 9 of the
    supplement): the dataset's MoCo v2 configs with only the network
    (backbone; for the ViT also neck and feature width) and its checkpoint
    replaced; the header cites the table."""
    table = ("paper's Table 3" if net in TABLE3 else
             "paper's Table 4" if net in TABLE4 else "supplement's Table 9")
    core_rel = f'coretune/backbones/{net}_{dataset}.py'
    ce_rel = f'baselines/ce_{net}_{dataset}.py'
    core, ce = load(core_rel), load(ce_rel)
    for rel in (core_rel, ce_rel):
        with open(osp.join(CONFIGS, rel)) as f:
            assert table in f.readline(), rel
    core_moco = load(f'coretune/r50_moco_{dataset}.py')
    ce_moco = load(f'baselines/ce_r50_moco_{dataset}.py')
    vit = net.startswith('deit')
    changed = ('model.backbone', 'model.neck',
               'model.head.in_channels') if vit else ('model.backbone', )
    assert without(core, *changed) == without(core_moco, *changed)
    assert without(ce, *changed) == without(ce_moco, *changed)
    assert core.model.backbone == ce.model.backbone
    backbone = core.model.backbone
    frag = fragment(net)
    assert backbone.init_cfg.checkpoint == \
        frag['backbone']['init_cfg']['checkpoint']
    assert backbone.init_cfg.checkpoint != \
        core_moco.model.backbone.init_cfg.checkpoint
    if vit:
        assert (backbone.type, backbone.arch, backbone.patch_size) == \
            ('mmpretrain.VisionTransformer', 'deit-small', 16)
        assert core.model.neck is None
        assert core.model.head.in_channels == ce.model.head.in_channels == 384
    else:
        depth = int(re.match(r'[rx](\d+)', net).group(1))
        assert backbone.depth == depth
        if net.startswith('x'):
            assert (backbone.type, backbone.groups,
                    backbone.width_per_group) == ('mmpretrain.ResNeXt', 32, 4)
        else:
            assert backbone.type == 'mmpretrain.ResNet'


@pytest.mark.parametrize('dataset', TABLE1)
def test_table1_supervised_ce_row(dataset):
    cfg = load(f'baselines/ce_r50_supervised_{dataset}.py')
    moco = load(f'baselines/ce_r50_moco_{dataset}.py')
    init = cfg.model.backbone.init_cfg
    assert (init.type, init.checkpoint, init.get('prefix')) == \
        ('Pretrained', 'torchvision://resnet50', None)
    assert without(cfg, 'model.backbone.init_cfg') == \
        without(moco, 'model.backbone.init_cfg')


@pytest.mark.parametrize('dataset', TABLE1)
def test_coin_noisytune_with_scl(dataset):
    """COIN section 4.3: Noisy-Tune runs with SCL "in like manner of COIN",
    i.e. the dataset's CE-tuning config plus the Noisy-Tune hook and SCL as
    COIN constructs it (section 4.2: tau = 0.3, lambda = 0.1 on every
    dataset), nothing else."""
    cfg = load(f'noisytune/scl_r50_moco_{dataset}.py')
    ce = load(f'baselines/ce_r50_moco_{dataset}.py')
    assert [h.type for h in cfg.custom_hooks] == ['NoisyTuneHook']
    con = cfg.model.head.con_loss
    assert (con.type, con.temperature, con.loss_weight) == \
        ('SupConLoss', 0.3, 0.1)
    assert 'miner' not in cfg.model.head
    assert without(cfg, 'custom_hooks', 'model.head.con_loss',
                   'model.head.gather_distributed', 'coin_scl_head') == \
        without(ce, 'custom_hooks')


@pytest.mark.parametrize(
    'path',
    sorted(glob.glob(osp.join(CONFIGS, '_base_', 'pretrained', '*.py'))),
    ids=osp.basename)
def test_pretrained_fragments_say_where_from(path):
    """Each fragment's conversion command writes the file its config loads,
    and docs/pretrained_weights.md names the fragment."""
    name = osp.basename(path)
    with open(path) as f:
        text = f.read()
    checkpoint = Config.fromfile(
        path).pretrained_model.backbone.init_cfg.checkpoint
    if not checkpoint.startswith('torchvision://'):
        # the command: its line and the continuation lines under it
        lines = text.splitlines()
        i = next(i for i, ln in enumerate(lines)
                 if 'convert_ssl_checkpoint.py' in ln)
        command = [lines[i]]
        while lines[i + 1].startswith('#    '):
            i += 1
            command.append(lines[i])
        assert command[-1].split()[-1] == checkpoint, (name, command)
    with open(osp.join(ROOT, 'docs', 'pretrained_weights.md')) as f:
        assert f'_base_/pretrained/{name}' in f.read(), name


# -- docs/configs.md --------------------------------------------------------


def expand(token):
    """``a{b,c}d{e,f}`` -> [abde, abdf, acde, acdf]."""
    m = re.search(r'\{([^{}]*)\}', token)
    if not m:
        return [token]
    return [
        out for alt in m.group(1).split(',')
        for out in expand(token[:m.start()] + alt + token[m.end():])
    ]


def paper_table_section():
    with open(osp.join(ROOT, 'docs', 'configs.md')) as f:
        text = f.read()
    start = text.index("## The papers' tables and their configs")
    end = text.find('\n## ', start + 1)
    return text[start:end if end > 0 else None]


def test_expand():
    assert expand('a{b,c}d{e,f}.py') == \
        ['abde.py', 'abdf.py', 'acde.py', 'acdf.py']
    assert expand('x.py') == ['x.py']


def test_every_config_the_paper_table_map_names_exists():
    section = paper_table_section()
    tokens = [
        t for t in re.findall(r'`([^`\s]+\.py)`', section) if '*' not in t
    ]
    assert len(tokens) > 40
    paths = [
        p for t in tokens
        for p in expand(t.replace('<dataset>', '{' + ','.join(TABLE1) + '}'))
    ]
    # tools/..., tests/... and .dev_scripts/... from the repository root,
    # configs from configs/
    missing = [
        p for p in paths if not osp.isfile(
            osp.join(
                ROOT if p.startswith(('tools/', 'tests/',
                                      '.dev_scripts/')) else CONFIGS, p))
    ]
    assert not missing, missing
    # and every config made for a paper table here is in the map
    named = set(paths)
    for pattern in (f'{ABL}/r50_moco_*.py', 'coretune/backbones/*[!0].py',
                    'baselines/ce_r50_*_{caltech101,dtd,pets}.py',
                    'baselines/ce_r50_supervised_*.py',
                    'noisytune/scl_r50_moco_*.py', 'coin/ablations/*.py',
                    'adv/{at-ce,at-ce-con,at-core,ce}_r50_moco_*.py',
                    'seg/*_voc12aug.py', 'pretrain/hcsc_r50_*.py',
                    'linear_probe/r50_hcsc_*.py', 'pretrain/*_cifar10.py',
                    'linear_probe/r50_*_cifar10.py'):
        for pat in expand(pattern):
            for p in glob.glob(osp.join(CONFIGS, pat)):
                assert osp.relpath(p, CONFIGS) in named, p


@pytest.mark.parametrize('dataset', TABLE34_DATASETS)
def test_supplement_table5_rows(dataset):
    """The supplement's Table 5 (adversarial training on Caltech101, DTD,
    Pets): the CE row is the dataset's CE-tuning config tested under PGD-10,
    and AT-CE / AT-CE-Con / AT-Core train against the table's two budgets
    from the dataset's CE / SCL / Core-tuning configs."""
    ce = load(f'adv/ce_r50_moco_{dataset}.py')
    base = load(f'baselines/ce_r50_moco_{dataset}.py')
    assert ce.test_cfg.type == 'RobustTestLoop'
    budgets = {(a.norm, a.eps) for a in ce.test_cfg.attacks}
    assert {('l2', 0.5), ('linf', 4 / 255)} <= budgets
    assert all(a.steps == 10 for a in ce.test_cfg.attacks)
    assert without(ce, 'test_cfg',
                   *[k for k in ce.to_dict() if k.startswith('pgd10_')],
                   'robust_attacks') == without(base, 'test_cfg')
    for row, parent in (('at-ce', 'baselines/ce_r50_moco_{}.py'),
                        ('at-ce-con', 'baselines/scl_r50_moco_{}.py'),
                        ('at-core', 'coretune/r50_moco_{}.py')):
        for budget, (norm, eps) in (('l2-0.5', ('l2', 0.5)),
                                    ('linf-4', ('linf', 4 / 255))):
            cfg = load(f'adv/{row}_r50_moco_{dataset}_{budget}.py')
            attack = cfg.model.attack
            assert (attack.norm, attack.eps, attack.steps) == (norm, eps, 10)
            assert cfg.model.head == load(parent.format(dataset)).model.head
