"""configs/provenance.yml against the configs: every paper config loads
with the value the file gives for each of its settings, every config is
either a paper config the file covers or listed as not a paper's, and every
source is a quote from a paper (checked against the papers' text where it is
at hand) or a "not stated" with the terms searched and the reason for the
choice. An edit of a base or a method fragment that changes a paper setting
fails here (test_an_edited_base_is_caught shows it)."""
import fnmatch
import functools
import glob
import json
import math
import os
import os.path as osp
import re
import unicodedata

import pytest
import yaml
from mmengine.config import Config

from mmctune import registry
from mmctune.utils import register_all_modules
from ..conftest import ROOT, load_config

register_all_modules()
CONFIGS = osp.join(ROOT, 'configs')
PROVENANCE = osp.join(CONFIGS, 'provenance.yml')
# the papers' text, where this checkout has it beside (../shared/papers)
PAPERS_DIR = os.environ.get('MMCTUNE_PAPERS',
                            osp.join(ROOT, '..', 'shared', 'papers'))


def expand(token):
    """``a{b,c}d`` -> [abd, acd]."""
    m = re.search(r'\{([^{}]*)\}', token)
    if not m:
        return [token]
    return [
        out for alt in m.group(1).split(',')
        for out in expand(token[:m.start()] + alt + token[m.end():])
    ]


@functools.lru_cache(None)
def provenance():
    with open(PROVENANCE) as f:
        return yaml.safe_load(f)


def all_configs():
    return sorted(
        osp.relpath(p, CONFIGS)
        for p in glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
        if '_base_' not in osp.relpath(p, CONFIGS))


def matches(rel, patterns):
    return any(
        fnmatch.fnmatchcase(rel, p) for pat in patterns for p in expand(pat))


def not_paper(rel, prov=None):
    prov = prov or provenance()
    return any(matches(rel, e['configs']) for e in prov['not_paper'])


def groups_of(rel, prov=None):
    """The groups that set a paper config's values (none for a config
    `not_paper` lists: the groups' patterns may be wide)."""
    prov = prov or provenance()
    if not_paper(rel, prov):
        return []
    return [
        g for g in prov['groups'] if matches(rel, g['configs'])
        and not matches(rel, g.get('exclude', []))
    ]


@functools.lru_cache(None)
def load(rel):
    return load_config(osp.join(CONFIGS, rel))


# -- effective values -------------------------------------------------------

MISSING = None  # a key the config does not set reads as null


def dig(node, path):
    """``a.b[0].c`` of nested dicts / lists; MISSING where absent."""
    for part in re.findall(r'[^.\[\]]+|\[\d+\]', path):
        if part.startswith('['):
            i = int(part[1:-1])
            if not isinstance(node, (list, tuple)) or i >= len(node):
                return MISSING
            node = node[i]
        else:
            if not isinstance(node, dict) or part not in node:
                return MISSING
            node = node[part]
    return node


def pipeline_of(cfg, split):
    dataset = cfg[f'{split}_dataloader']['dataset']
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']  # LabelFraction and other wrappers
    if 'pipeline' not in dataset and 'datasets' in dataset:
        dataset = dataset['datasets'][0]  # ConcatDataset (VOC aug)
    return dataset['pipeline']


def flat_transforms(pipeline):
    """The transforms of a pipeline, those inside MultiView / RandomApply
    after their wrapper."""
    out = []
    for t in pipeline:
        if isinstance(t, (list, tuple)):
            out += flat_transforms(t)
            continue
        out.append(t)
        for inner in t.get('transforms', []):
            out += flat_transforms(
                inner if isinstance(inner, (list, tuple)) else [inner])
    return out


def short(type_name):
    return type_name.split('.')[-1]


@functools.lru_cache(None)
def _built(cfg_json, num_classes):
    cfg = json.loads(cfg_json)
    if num_classes is not None:
        cfg['num_classes'] = num_classes
    return registry.MODELS.build(cfg)


def built(node, **extra):
    return _built(json.dumps(node, sort_keys=True), extra.get('num_classes'))


def value_of(cfg, key):
    """The effective value of one setting: a dotted path, or a derived
    value (``=...``): the built module's attribute where a default applies.
    """
    d = cfg if isinstance(cfg, dict) and not isinstance(cfg, Config) \
        else cfg.to_dict()
    if not key.startswith('='):
        return dig(d, key)
    kind, _, arg = key[1:].partition(':')
    if kind in ('train_transforms', 'test_transforms'):
        split = kind.split('_')[0]
        return [
            short(t['type']) for t in flat_transforms(pipeline_of(d, split))
        ]
    if kind == 'transform':  # =transform:train:Type.attr
        split, _, rest = arg.partition(':')
        type_name, _, attr = rest.partition('.')
        for t in flat_transforms(pipeline_of(d, split)):
            if short(t['type']) == type_name:
                return dig(t, attr)
        return MISSING
    if kind == 'hook':  # =hook:Type.attr
        type_name, _, attr = arg.partition('.')
        for h in d.get('custom_hooks') or []:
            if short(h['type']) == type_name:
                return dig(h, attr)
        return MISSING
    if kind == 'built':  # =built:path.to.module/attr
        path, _, attr = arg.partition('/')
        node = dig(d, path)
        if node is None:
            return MISSING
        return getattr(built(node), attr)
    if kind == 'head':  # =head:attr of the built head (its defaults)
        head = built(dict(d['model']['head']), num_classes=2)
        if arg == 'projector':  # Linear (in, out) of the projector
            if head.projector is None:
                return MISSING
            return [[m.in_features, m.out_features]
                    for m in head.projector.modules()
                    if type(m).__name__ == 'Linear']
        return getattr(head, arg)
    raise KeyError(f'unknown derived value {key!r}')


def same(actual, expected):
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected or actual == expected and type(
            actual) is type(expected)
    if isinstance(actual, (int, float)) and isinstance(expected, (int, float)):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(actual, (list, tuple)) and isinstance(expected, list):
        return len(actual) == len(expected) and all(
            same(a, e) for a, e in zip(actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            same(actual[k], expected[k]) for k in actual)
    return actual == expected


def selector_value(rel, selector, prov):
    pattern = prov['selectors'][selector]
    m = re.search(pattern, rel)
    assert m, f'{rel}: selector {selector!r} ({pattern}) finds nothing'
    return m.group(1)


def expected_of(rel, setting, prov):
    if 'by' in setting:
        key = selector_value(rel, setting['by'], prov)
        assert key in setting['values'], \
            f'{rel}: no value for {setting["by"]} {key!r}'
        return setting['values'][key]
    return setting['value']


def mismatches(rel, cfg, prov=None):
    """``[(group, key, actual, expected)]`` of one config."""
    prov = prov or provenance()
    out = []
    d = cfg.to_dict()
    for group in groups_of(rel, prov):
        for key, setting in group['settings'].items():
            expected = expected_of(rel, setting, prov)
            actual = value_of(d, key)
            if not same(actual, expected):
                out.append((group['name'], key, actual, expected))
    return out


# -- the tests --------------------------------------------------------------

PAPER_CONFIGS = [c for c in all_configs() if groups_of(c)]


def test_the_file_covers_every_config_once():
    """Every config is a paper config (in a group) or listed as not a
    paper's, with a reason; never both. A new config must be classified."""
    prov = provenance()
    configs = all_configs()
    others = {c for c in configs if not_paper(c, prov)}
    paper = set(PAPER_CONFIGS)
    unclassified = sorted(set(configs) - paper - others)
    assert not unclassified, unclassified
    assert all(e['why'].strip() for e in prov['not_paper'])
    # every pattern finds a config (no stale entry)
    for entry in prov['groups'] + prov['not_paper']:
        for pattern in entry['configs']:
            for p in expand(pattern):
                assert any(fnmatch.fnmatchcase(c, p) for c in configs), \
                    (entry.get('name', entry.get('why')), p)
    assert len(paper) > 300


def flatten(source):
    """A setting's sources: one, a list, or lists of them (YAML anchors)."""
    if isinstance(source, list):
        return [s for item in source for s in flatten(item)]
    return [source]


def sources():
    """Every source in the file: (where, source dict)."""
    prov = provenance()
    for name, src in prov['sources'].items():
        yield f'sources.{name}', src
    for group in prov['groups']:
        for key, setting in group['settings'].items():
            for src in flatten(setting['source']):
                if isinstance(src, dict):
                    yield f'{group["name"]}: {key}', src
                else:
                    assert src in prov['sources'], \
                        f'{group["name"]}: {key}: unknown source {src!r}'


def test_every_setting_has_a_source():
    prov = provenance()
    for group in prov['groups']:
        assert group['settings'], group['name']
        for key, setting in group['settings'].items():
            assert 'source' in setting, (group['name'], key)
            assert ('value' in setting) != ('by' in setting), \
                (group['name'], key)
            if 'by' in setting:
                assert setting['by'] in prov['selectors']
    for where, src in sources():
        if 'not_stated' in src:
            ns = src['not_stated']
            assert ns['searched'], where
            assert all(str(t).strip() for t in ns['searched']), where
            assert ns['chosen'].strip(), where
            assert all(p in prov['papers'] for p in ns['in']), where
        else:
            assert src['paper'] in prov['papers'], where
            quotes = src['quote'] if isinstance(src['quote'],
                                                list) else [src['quote']]
            assert str(src['section']).strip() and quotes and all(
                q.strip() for q in quotes), where


GREEK = {
    'τ': 'tau',
    'λ': 'lambda',
    'η': 'eta',
    'α': 'alpha',
    'ε': 'epsilon',
    'σ': 'sigma',
    'φ': 'phi',
    '−': '-',
    '×': 'x'
}


def normalise(text):
    text = unicodedata.normalize('NFKC', text).lower()
    for k, v in GREEK.items():
        text = text.replace(k, v)
    # LaTeX: \tau -> tau, \times -> x, \ell_2 -> ell2
    text = text.replace('\\times', 'x')
    text = re.sub(r'\\([a-z]+)', r'\1', text)
    return re.sub(r'[^a-z0-9.%]', '', text)


@functools.lru_cache(None)
def paper_text(key):
    path = osp.join(PAPERS_DIR, provenance()['papers'][key]['file'])
    with open(path, encoding='utf-8') as f:
        return normalise(f.read())


def test_quotes_are_in_the_papers():
    """Each quote appears in its paper's text (the papers' text is not in
    the repository: where it is not at hand, the test is skipped)."""
    prov = provenance()
    if not all(
            osp.isfile(osp.join(PAPERS_DIR, p['file']))
            for p in prov['papers'].values()):
        pytest.skip(f'the papers are not at {PAPERS_DIR} (MMCTUNE_PAPERS)')
    missing = []
    for where, src in sources():
        if 'quote' in src:
            quotes = src['quote'] if isinstance(src['quote'],
                                                list) else [src['quote']]
            for q in quotes:
                if normalise(q) not in paper_text(src['paper']):
                    missing.append((where, src['paper'], q))
    assert not missing, missing


@pytest.mark.parametrize('rel', PAPER_CONFIGS)
def test_paper_config_values(rel):
    bad = mismatches(rel, load(rel))
    assert not bad, '\n'.join(
        f'{rel}: {key} is {actual!r}, provenance.yml ({group}) says '
        f'{expected!r}' for group, key, actual, expected in bad)


def test_an_edited_base_is_caught(tmp_path):
    """A config whose base changed a paper value (here CE-tuning's weight
    decay, as an edit of _base_/schedules would) fails the comparison."""
    rel = 'baselines/ce_r50_moco_cifar10.py'
    assert not mismatches(rel, load(rel))
    edited = tmp_path / 'edited.py'
    edited.write_text(f"_base_ = [{osp.join(CONFIGS, rel)!r}]\n"
                      "optim_wrapper = dict(optimizer=dict(weight_decay=0))\n")
    bad = mismatches(rel, Config.fromfile(str(edited)))
    assert [key for _, key, _, _ in bad] == \
        ['optim_wrapper.optimizer.weight_decay']
