"""The model index (model-index.yml, configs/*/metafile.yml) and
mmctune.apis.model: every config is one model of it; the comparisons'
rows, their order and settings come from its metadata; list_models /
get_model work from it as mmpretrain's do; its papers' tables are
docs/configs.md's, its paper figures the papers' and its measured figures
docs/benchmarks.md's; and a new method is found with nothing but its own
metafile."""
import fnmatch
import glob
import os
import os.path as osp
import re
import shutil

import pytest
import torch
import yaml

from mmctune.apis import (ModelHub, get_model, list_models, list_settings,
                          model_of_config, setting_models)
from mmctune.apis.model import ROLES, metadata, role_of
from ..conftest import ROOT

CONFIGS = osp.join(ROOT, 'configs')


def leaf_configs():
    """Every config under configs/ but the _base_ fragments, relative."""
    return sorted(
        osp.relpath(p, CONFIGS)
        for p in glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
        if not osp.relpath(p, CONFIGS).startswith('_base_'))


def metafiles():
    return sorted(glob.glob(osp.join(CONFIGS, '*', 'metafile.yml')))


def test_every_config_is_one_model_named_by_its_path():
    models = ModelHub.models()
    configs = [osp.relpath(m.config, CONFIGS) for m in models]
    assert sorted(configs) == leaf_configs()
    for model, config in zip(models, configs):
        assert model.name == config[:-len('.py')]
        assert model_of_config(osp.join(CONFIGS, config)) is model
        meta = metadata(model)
        assert meta['Task'] in ('Image Classification',
                                'Semantic Segmentation',
                                'Domain Generalization',
                                'Contrastive Pre-training'), model.name
        assert meta['Training Data'] and meta.get('Backbone'), model.name
    # a metafile lists its own folder's configs only, and every folder with
    # a config has one
    for path in metafiles():
        folder = osp.basename(osp.dirname(path))
        with open(path) as f:
            names = [
                m['Name']
                for m in yaml.load(f, Loader=yaml.CSafeLoader)['Models']
            ]
        assert all(n.startswith(folder + '/') for n in names), path
    assert {osp.basename(osp.dirname(p))
            for p in metafiles()} == {c.split('/')[0]
                                      for c in leaf_configs()}
    assert model_of_config(osp.join(CONFIGS, '_base_',
                                    'default_runtime.py')) is None


def test_roles_and_settings_make_the_comparisons():
    """Every method's role is one of ROLES; a setting has at most one config
    per method, its reference (CE-tuning) first."""
    for col in ModelHub.collections():
        assert role_of(col) in ROLES + (None, ), col.name
    assert [
        c.name for c in ModelHub.collections() if role_of(c) == 'reference'
    ] == ['CE-tuning']
    assert [
        c.name for c in ModelHub.collections() if role_of(c) == 'proposed'
    ] == ['Core-tuning']
    for setting in list_settings():
        rows = setting_models(setting, ROLES)
        methods = [m.in_collection for m in rows]
        assert len(set(methods)) == len(methods), setting
        if setting != 'fmnist-pretrain':
            assert methods[0] == 'CE-tuning', setting
        assert [ROLES.index(role_of(m)) for m in rows
                ] == sorted(ROLES.index(role_of(m)) for m in rows)
    assert {
        'fmnist', 'fmnist-mbv2', 'cifar10', 'seg', 'dtd', 'fmnist-pretrain'
    } <= set(list_settings())


def test_the_tables_order_is_the_roles_then_the_index():
    assert [m.in_collection for m in setting_models('fmnist')] == [
        'CE-tuning', 'SCL (+L_con)', 'Bi-tuning', 'BSS', 'COIN', 'Co-Tuning',
        'DELTA', 'DR-Tune', 'EMA', 'Freeze k stages', 'FTP', 'L2-SP', 'LLRD',
        'LP-FT', 'LwF', 'M&M', 'Noisy-Tune', 'RIFLE', 'StochNorm', 'TPGM',
        'Core-tuning'
    ]
    full = setting_models('fmnist', ROLES)
    assert [m.in_collection for m in full][-6:] == [
        '+mix', '+L_con +mix-H', 'Core-tuning + DR-Tune', 'AT-CE', 'AT-Core',
        'AT-L2SP'
    ]
    assert [m.name for m in setting_models('seg')] == [
        'seg/deeplabv3_r50_moco_ce_voc12aug',
        'seg/deeplabv3_r50_moco_coretune_voc12aug'
    ]
    assert [
        m.in_collection
        for m in setting_models('fmnist-pretrain', ('pre-training', ))
    ] == ['SimCLR', 'HCSC', 'TCL']
    with pytest.raises(KeyError, match='the settings are'):
        setting_models('cifar11')
    with pytest.raises(KeyError, match='the roles are'):
        setting_models('fmnist', ('baselines', ))


def test_list_models_as_mmpretrain():
    assert list_models('coretune/r50_moco_cifar10') == [
        'coretune/r50_moco_cifar10', 'coretune/r50_moco_cifar100',
        'coretune/r50_moco_cifar100_rrc', 'coretune/r50_moco_cifar10_rrc'
    ]
    assert list_models(
        'coretune/r50_moco_cifar',
        exclude_patterns=['*rrc', 'coretune/r50_moco_cifar100'
                          ]) == ['coretune/r50_moco_cifar10']
    seg = list_models(task='Semantic Segmentation')
    assert seg and all(n.startswith('seg/') for n in seg)
    assert list_models(setting='seg') == [
        'seg/deeplabv3_r50_moco_ce_voc12aug',
        'seg/deeplabv3_r50_moco_coretune_voc12aug'
    ]
    assert len(list_models()) == len(leaf_configs())
    assert ModelHub.has('CoreTune/R50_MoCo_CIFAR10')  # any case
    with pytest.raises(ValueError, match='list_models'):
        ModelHub.get('coretune/r50_moco_cifar11')


def test_get_model_builds_the_config_and_loads_weights_strictly(tmp_path):
    name = 'baselines/ce_r18-tiny_simclr_fmnist'
    model = get_model(name)
    assert not model.training
    assert model._metainfo.name == name
    assert model._config.model.head.num_classes == 10
    # a checkpoint loads into the same model: the weights are the file's
    state = {
        k: torch.randn_like(v) if v.is_floating_point() else v
        for k, v in model.state_dict().items()
    }
    ckpt = str(tmp_path / 'ckpt.pth')
    torch.save(dict(state_dict=state), ckpt)
    loaded = get_model(name, pretrained=ckpt)
    for k, v in loaded.state_dict().items():
        assert torch.equal(v, state[k]), k
    with pytest.warns(UserWarning, match='no released weights'):
        get_model(name, pretrained=True)
    # a config path, and settings of the model changed by keyword
    other = get_model(
        osp.join(CONFIGS, name + '.py'), head=dict(num_classes=3))
    assert other._metainfo is None and other.head.num_classes == 3
    assert ModelHub.get(name).config.model.head.num_classes == 10


def test_a_new_method_needs_only_its_metafile(tmp_path, monkeypatch):
    """A method added as a folder of configs with its metafile is a row of
    its setting, in the index's order, for the tables, the demo's table and
    the benchmarks, with no other file changed."""
    from ..test_benchmarks.bench_loader import load_bench
    shutil.copy(osp.join(ROOT, 'model-index.yml'), tmp_path)
    for path in metafiles():
        folder = tmp_path / 'configs' / osp.basename(osp.dirname(path))
        folder.mkdir(parents=True)
        shutil.copy(path, folder)
    (tmp_path / 'configs' / 'newmethod').mkdir()
    demo_config = osp.join(CONFIGS, 'l2sp', 'r18-tiny_simclr_fmnist.py')
    (tmp_path / 'configs' / 'newmethod' / 'metafile.yml').write_text(f"""
Collections:
  - Name: NewMethod
    Metadata:
      Role: baseline
Models:
  - Name: newmethod/r18-tiny_simclr_fmnist
    In Collection: NewMethod
    Config: {demo_config}
    Metadata:
      Task: Image Classification
      Training Data: Fashion-MNIST
      Backbone: ResNet-18
      Setting: fmnist
""")
    monkeypatch.setattr(ModelHub, '_models_dict', {})
    monkeypatch.setattr(ModelHub, '_collections', {})
    monkeypatch.setattr(ModelHub, '_by_config', {})
    monkeypatch.setattr(ModelHub, '_registered', True)
    ModelHub.register_model_index(str(tmp_path / 'model-index.yml'))
    rows = [m.in_collection for m in setting_models('fmnist')]
    assert rows.index('M&M') + 1 == rows.index('NewMethod') == \
        rows.index('Noisy-Tune') - 1  # the folders' order
    assert 'newmethod/r18-tiny_simclr_fmnist' in list_models('newmethod')
    # the fine-tuning benchmark runs it (untuned), the cost benchmark times
    # it
    ft = load_bench('finetune_table')
    row = [
        r for r in ft.setting_rows('simclr-r18-tiny') if r[0] == 'NewMethod'
    ]
    assert row == [('NewMethod', osp.relpath(demo_config, ROOT), {})]
    step_time = load_bench('step_time')
    assert osp.relpath(demo_config, ROOT) in step_time.method_configs('fmnist')


def test_the_index_refuses_what_it_cannot_resolve(tmp_path, monkeypatch):
    monkeypatch.setattr(ModelHub, '_models_dict', {})
    monkeypatch.setattr(ModelHub, '_collections', {})
    monkeypatch.setattr(ModelHub, '_by_config', {})
    monkeypatch.setattr(ModelHub, '_registered', True)
    (tmp_path /
     'model-index.yml').write_text('Import:\n  - configs/*/metafile.yml\n')
    (tmp_path / 'configs' / 'a').mkdir(parents=True)
    (tmp_path / 'configs' / 'a' / 'metafile.yml').write_text(
        'Models:\n  - Name: a/x\n    In Collection: Nowhere\n'
        '    Config: configs/a/x.py\n')
    with pytest.raises(ValueError, match="'Nowhere'"):
        ModelHub.register_model_index(str(tmp_path / 'model-index.yml'))


# ---------------------------------------------------------------------------
# what the index says against the documents it comes from
# ---------------------------------------------------------------------------
def _expand(pattern):
    m = re.search(r'\{([^{}]*)\}', pattern)
    if not m:
        return [pattern]
    return [
        p for v in m.group(1).split(',')
        for p in _expand(pattern[:m.start()] + v + pattern[m.end():])
    ]


def test_the_papers_tables_are_docs_configs_md():
    """A config is a row of a paper's table in the index exactly when
    docs/configs.md's table of the papers' tables names it there."""
    with open(osp.join(ROOT, 'docs', 'configs.md')) as f:
        text = f.read().split("## The papers' tables and their configs")[1]
    configs = leaf_configs()
    named = set()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split(' | ')]
        if not line.startswith('| ') or len(cells) != 3 or \
                cells[2].startswith('no config'):
            continue
        table = cells[0].replace('`', '')
        for pattern in re.findall(r'`([^`]+\.py)`', cells[2]):
            for p in _expand(pattern):
                named |= {(c[:-3], table) for c in fnmatch.filter(configs, p)}
    in_index = {(m.name, r['Table'])
                for m in ModelHub.models()
                for r in m.data.get('Reproduces', [])}
    assert len(named) > 400
    assert in_index == named


def _paper_results():
    for path in (os.environ.get('MMCTUNE_PAPER_RESULTS'),
                 osp.join(osp.dirname(ROOT), 'shared', 'PAPER_RESULTS.md')):
        if path and osp.isfile(path):
            with open(path) as f:
                return f.read()
    return None


def test_paper_figures_are_the_papers():
    """Each paper figure of the index (``Results``) is one the papers
    report for its table (shared/PAPER_RESULTS.md, where it is at hand)."""
    text = _paper_results()
    with_figures = [m for m in ModelHub.models() if m.results]
    assert len(with_figures) > 100
    if text is None:
        pytest.skip('PAPER_RESULTS.md is not at hand (set '
                    'MMCTUNE_PAPER_RESULTS)')
    table1 = text.split('## Core-tuning, Table 1')[1].split('\n## ')[0]
    for model in with_figures:
        core_table1 = {'Paper': 'Core-tuning paper', 'Table': 'Table 1'}
        in_table1 = any(
            all(r.get(k) == v for k, v in core_table1.items())
            for r in model.data.get('Reproduces', []))
        for result in model.results:
            for metric, value in result.metrics.items():
                figure = f'{value:.2f}'
                # Table 1's figures in its table, the others in the file
                assert figure in (table1 if in_table1 else text), (model.name,
                                                                   metric,
                                                                   figure)


def _sections(text):
    parts = re.split(r'\n## ', text)
    return {p.split('\n', 1)[0]: p for p in parts[1:]}


def test_measured_figures_are_docs_benchmarks_md():
    """Each figure measured here (``Measured``) is printed in its section of
    docs/benchmarks.md, whose text also gives the command that made it."""
    with open(osp.join(ROOT, 'docs', 'benchmarks.md')) as f:
        text = f.read()
    sections = _sections(text)
    flat = ' '.join(text.replace('\\\n', ' ').split())
    entries = [(m, e) for m in ModelHub.models()
               for e in m.data.get('Measured', [])]
    assert len(entries) > 40
    for model, entry in entries:
        assert entry['Section'] in sections, (model.name, entry['Section'])
        section = sections[entry['Section']]
        for metric, value in entry['Metrics'].items():
            assert str(value) in section, (model.name, metric, value)
        assert ' '.join(entry['Command'].split()) in flat, entry['Command']


def test_the_model_zoo_page_is_the_index():
    """docs/model_zoo.md, the docs' table of every method and config, is
    what .dev_scripts/gen_model_zoo.py writes from the index."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'gen_model_zoo', osp.join(ROOT, '.dev_scripts', 'gen_model_zoo.py'))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    with open(osp.join(ROOT, 'docs', 'model_zoo.md'), encoding='utf-8') as f:
        assert f.read() == gen.render(), (
            'docs/model_zoo.md is stale: python .dev_scripts/gen_model_zoo.py')


def test_the_package_names_no_config_path():
    """The package reaches configs through the model index only: no
    ``configs/...`` path in its code, messages or docstrings (a moved
    config cannot leave a stale path behind)."""
    package = osp.join(ROOT, 'mmctune')
    found = []
    for path in glob.glob(osp.join(package, '**', '*.py'), recursive=True):
        if osp.join(package, '.mim') in path:
            continue
        with open(path, encoding='utf-8') as f:
            found += [
                f'{osp.relpath(path, ROOT)}:{i}'
                for i, line in enumerate(f, 1) if 'configs/' in line
            ]
    assert not found, found


def test_an_index_reached_through_links_gives_the_real_configs(
        tmp_path, monkeypatch):
    """An editable install's mmctune/.mim links model-index.yml and configs/
    to the clone: the models' configs are the clone's files, as a user
    opens them, not paths through the links."""
    mim = tmp_path / '.mim'
    mim.mkdir()
    os.symlink(osp.join(ROOT, 'model-index.yml'), mim / 'model-index.yml')
    os.symlink(CONFIGS, mim / 'configs')
    monkeypatch.setattr(ModelHub, '_models_dict', {})
    monkeypatch.setattr(ModelHub, '_collections', {})
    monkeypatch.setattr(ModelHub, '_by_config', {})
    monkeypatch.setattr(ModelHub, '_registered', True)
    ModelHub.register_model_index(str(mim / 'model-index.yml'))
    assert ModelHub.metainfo('coretune/r50_moco_cifar10').config == osp.join(
        osp.realpath(CONFIGS), 'coretune', 'r50_moco_cifar10.py')
