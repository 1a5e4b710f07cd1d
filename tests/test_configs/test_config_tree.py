"""The shape of the config tree (docs/configs.md, "One source of truth"):
a config inherits at most one other config, which inherits only
``_base_`` files; ``_base_`` files inherit only ``_base_`` files; no chain
of inheritance is longer than 4 files, counting the config itself and the
``_base_`` files' own ``_base_``. So a config reads in at most two files
besides its bases, and an edit of one method's config (SCL's, say) changes
no other method's.

The ``_base_`` lists are read from the files' syntax (no config is loaded):
the whole tree is checked in well under a second."""
import ast
import functools
import glob
import os
import os.path as osp

import pytest

from ..conftest import ROOT, load_config

CONFIGS = osp.join(ROOT, 'configs')
MAX_DEPTH = 4


def bases_of(path):
    """The files a config's ``_base_`` names, as absolute paths (``[]`` for
    a config without one). ``_base_`` must be a literal: a string or a list
    or tuple of strings, as mmengine reads it."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_'
                for t in node.targets):
            value = ast.literal_eval(node.value)
            names = [value] if isinstance(value, str) else list(value)
            assert all(isinstance(n, str) for n in names), path
            return [
                osp.normpath(osp.join(osp.dirname(path), n)) for n in names
            ]
    return []


def is_base(path, root):
    return '_base_' in osp.relpath(path, root).split(os.sep)


def tree_problems(root):
    """Every breach of the rules in the tree under ``root``, one line
    each (``[]`` for a tree that keeps them)."""
    files = sorted(
        osp.normpath(p)
        for p in glob.glob(osp.join(root, '**', '*.py'), recursive=True))
    bases = {}
    problems = []
    for path in files:
        bases[path] = bases_of(path)
        for b in bases[path]:
            if not osp.isfile(b):
                problems.append(f'{osp.relpath(path, root)}: its base '
                                f'{osp.relpath(b, root)} does not exist')
    depth = {}

    def depth_of(path, seen=()):
        if path in seen:
            raise ValueError(f'{osp.relpath(path, root)} inherits itself')
        if path not in depth:
            depth[path] = 1 + max((depth_of(b, seen + (path, ))
                                   for b in bases.get(path, []) if b in bases),
                                  default=0)
        return depth[path]

    for path in files:
        rel = osp.relpath(path, root)
        parents = [b for b in bases[path] if not is_base(b, root)]
        if is_base(path, root):
            if parents:
                problems.append(f'{rel}: a _base_ file inherits the config '
                                f'{osp.relpath(parents[0], root)}')
        elif len(parents) > 1:
            problems.append(f'{rel}: inherits {len(parents)} configs (at '
                            'most one; put what they share in _base_)')
        else:
            for parent in parents:
                grand = [
                    b for b in bases.get(parent, []) if not is_base(b, root)
                ]
                if grand:
                    problems.append(
                        f'{rel}: inherits {osp.relpath(parent, root)}, '
                        f'which inherits the config '
                        f'{osp.relpath(grand[0], root)} (a config that '
                        'others inherit inherits only _base_ files)')
        if depth_of(path) > MAX_DEPTH:
            problems.append(f'{rel}: {depth_of(path)} files deep (at most '
                            f'{MAX_DEPTH}, counting _base_ files)')
    return problems


def test_the_tree_keeps_the_rules():
    problems = tree_problems(CONFIGS)
    assert not problems, '\n'.join(problems)


def test_the_paths_users_type_are_configs():
    for rel in ('coretune/r50_moco_cifar10.py',
                'baselines/ce_r50_moco_cifar10.py',
                'baselines/scl_r50_moco_cifar10.py',
                'coretune/r18-tiny_simclr_fmnist.py'):
        assert osp.isfile(osp.join(CONFIGS, rel)), rel
        assert not is_base(osp.join(CONFIGS, rel), CONFIGS)


def _write(root, rel, bases=()):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'_base_ = {list(bases)!r}\nx = 1\n' if bases else 'x = 1\n')


@pytest.mark.parametrize(
    'case',
    ['chain', 'two parents', 'base on a config', 'too deep', 'missing'])
def test_each_breach_is_named(tmp_path, case):
    """The checker finds each kind of breach in a small tree (and none in
    the same tree without it)."""
    _write(tmp_path, '_base_/models/m.py')
    _write(tmp_path, '_base_/datasets/common.py')
    _write(tmp_path, '_base_/datasets/d.py', ['./common.py'])
    _write(tmp_path, 'ce/ce.py',
           ['../_base_/models/m.py', '../_base_/datasets/d.py'])
    _write(tmp_path, 'ce/scl.py', ['./ce.py'])
    assert tree_problems(str(tmp_path)) == []
    expected = {
        'chain': 'core.py: inherits ce/scl.py, which inherits the config',
        'two parents': 'core.py: inherits 2 configs',
        'base on a config': '_base_/models/bad.py: a _base_ file inherits',
        'too deep': 'core.py: 5 files deep',
        'missing': 'core.py: its base ce/nothing.py does not exist',
    }[case]
    if case == 'chain':
        _write(tmp_path, 'ce/core.py', ['./scl.py'])
    elif case == 'two parents':
        _write(tmp_path, 'ce/core.py', ['./ce.py', './scl.py'])
    elif case == 'base on a config':
        _write(tmp_path, '_base_/models/bad.py', ['../../ce/ce.py'])
    elif case == 'too deep':
        _write(tmp_path, '_base_/datasets/deeper.py', ['./d.py'])
        _write(tmp_path, 'ce/deep.py', ['../_base_/datasets/deeper.py'])
        _write(tmp_path, 'ce/core.py', ['./deep.py'])
    else:
        _write(tmp_path, 'ce/core.py', ['./nothing.py'])
    problems = tree_problems(str(tmp_path))
    assert any(
        p.startswith(f'ce/{expected}') or p.startswith(expected)
        for p in problems), problems


# -- the primaries that repeat a value agree --------------------------------

DATASETS = ('imagenet20', 'cifar10', 'cifar100', 'caltech101', 'dtd',
            'aircraft', 'cars', 'pets', 'flowers', 'inat18')
CON = ('model.head.con_loss', 'model.head.gather_distributed')
CORE = CON + ('model.head.miner', )
DG_FIRST = dict(pacs='art_painting', vlcs='caltech101', officehome='art')
INIT = ('model.backbone.init_cfg.checkpoint', 'model.backbone.init_cfg.prefix')


def _pairs():
    """(config, the config it repeats, the keys where they may differ)."""
    for d in DATASETS:
        ce = f'baselines/ce_r50_moco_{d}.py'
        yield f'baselines/scl_r50_moco_{d}.py', ce, CON
        yield f'coretune/r50_moco_{d}.py', ce, CORE
        # SCL's eta is Core-tuning's
        yield (f'coretune/r50_moco_{d}.py', f'baselines/scl_r50_moco_{d}.py',
               ('model.head.con_loss.type', 'model.head.miner'))
    for net in ('r18-tiny_simclr', 'mbv2_in1k'):
        ce = f'baselines/ce_{net}_fmnist.py'
        yield f'baselines/scl_{net}_fmnist.py', ce, CON
        yield f'coretune/{net}_fmnist.py', ce, CORE
    for d, t in DG_FIRST.items():
        ce = f'dg/ce_r50_moco_{d}_{t}.py'
        hooks = ('custom_hooks', )
        yield f'dg/ce-con_r50_moco_{d}_{t}.py', ce, CON + hooks
        yield f'dg/coretune_r50_moco_{d}_{t}.py', ce, CORE + hooks
        yield f'dg/ce_r50_supervised_{d}_{t}.py', ce, INIT + hooks
    for pre in ('infomin', 'insdis', 'mocov1', 'pirl', 'simclrv2',
                'supervised'):
        yield (f'seg/deeplabv3_r50_{pre}_ce_voc12aug.py',
               'seg/deeplabv3_r50_moco_ce_voc12aug.py', INIT)
    yield ('pretrain/hcsc_r50_1xb256-splitbn8-200e_in1k.py',
           'pretrain/hcsc_r50_8xb32-200e_in1k.py',
           ('model.backbone.norm_cfg', 'train_dataloader.batch_size',
            'custom_hooks[0].batch_size'))
    # COIN on CIFAR10 lists its bases; the other datasets' COIN configs are
    # CE-tuning plus _base_/methods/coin.py
    yield ('coin/r50_moco_cifar10.py', 'baselines/ce_r50_moco_cifar10.py',
           ('model.head.con_loss', 'model.head.train_classifier',
            'model.head.gather_distributed', 'custom_hooks',
            'model_wrapper_cfg', 'coin_head', 'coin_scl_head'))


@functools.lru_cache(None)
def loaded(rel):
    return load_config(osp.join(CONFIGS, rel)).to_dict()


def differences(a, b, path=''):
    """The dotted paths where two loaded configs' values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            p = f'{path}.{k}' if path else str(k)
            if k not in a or k not in b:
                out.append(p)
            else:
                out += differences(a[k], b[k], p)
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) \
            and len(a) == len(b) and type(a) is type(b):
        return [
            d for i, (x, y) in enumerate(zip(a, b))
            for d in differences(x, y, f'{path}[{i}]')
        ]
    return [] if a == b and type(a) is type(b) else [path]


@pytest.mark.parametrize(
    'config,reference,allowed',
    list(_pairs()),
    ids=lambda x: x if isinstance(x, str) else '')
def test_a_primary_repeats_its_siblings_values(config, reference, allowed):
    """Primaries list their bases and write their dataset's values again
    (SCL and Core-tuning: CE-tuning's classes, learning rate, batch,
    schedule): they differ from the config they repeat only where their
    method does."""
    a, b = loaded(config), loaded(reference)
    extra = [
        d for d in differences(a, b)
        if not any(d == k or d.startswith((k + '.', k + '[')) for k in allowed)
    ]
    assert not extra, f'{config} differs from {reference} at {extra}'


def test_differences():
    assert differences(
        dict(a=dict(b=1, c=[1, 2])), dict(a=dict(b=1, c=[1, 3]),
                                          d=0)) == ['a.c[1]', 'd']
    assert differences(dict(a=1), dict(a=1.0)) == ['a']


def test_the_dump_comparison_names_each_change(tmp_path, capsys):
    """tests/test_configs/config_dump.py, which proves a restructuring
    changes no loaded value: a changed value, an int become a float, a
    tuple become a list and a config gone are each reported; identical
    dumps pass."""
    import json

    from .config_dump import canonical, compare
    before = {
        'a.py': canonical(dict(model=dict(lr=1, k=(1, 2)))),
        'b.py': canonical(dict(x='y')),
    }
    changes = {
        'lr': dict(model=dict(lr=2, k=(1, 2))),
        'float': dict(model=dict(lr=1.0, k=(1, 2))),
        'list': dict(model=dict(lr=1, k=[1, 2])),
    }
    (tmp_path / 'before.json').write_text(json.dumps(before))
    assert compare(tmp_path / 'before.json', tmp_path / 'before.json', {}) == 0
    for name, cfg in changes.items():
        after = dict(before, **{'a.py': canonical(cfg)})
        (tmp_path / 'after.json').write_text(json.dumps(after))
        assert compare(tmp_path / 'before.json', tmp_path / 'after.json',
                       {}) == 1, name
        assert 'changed: a.py at .model' in capsys.readouterr().out
    (tmp_path / 'after.json').write_text(json.dumps({'a.py': before['a.py']}))
    assert compare(tmp_path / 'before.json', tmp_path / 'after.json', {}) == 1
    assert 'gone: b.py' in capsys.readouterr().out
