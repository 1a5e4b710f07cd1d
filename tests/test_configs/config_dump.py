"""Dump the effective (loaded) values of every config, to prove that a
restructuring of the configs' inheritance changes none of them.

``python tests/test_configs/config_dump.py OUT.json`` writes, for every
``configs/**/*.py`` that is not under ``_base_/``, ``Config.fromfile(path)
.to_dict()`` in a canonical JSON form (keys sorted, tuples kept apart from
lists, the absolute path of the repository replaced by ``<ROOT>``).
``python tests/test_configs/config_dump.py --compare BEFORE.json AFTER.json``
prints every config whose values differ (and the first differing key) and
exits non-zero if any does. Run it before and after an edit of the tree::

    python tests/test_configs/config_dump.py /tmp/before.json
    # ... restructure the configs ...
    python tests/test_configs/config_dump.py /tmp/after.json
    python tests/test_configs/config_dump.py --compare /tmp/before.json \
        /tmp/after.json

``--map OLD=NEW`` (repeatable) compares a renamed config with its old name.
Loading all configs takes about a minute on one core; a shorter check of the
tree's shape runs in the suite (test_config_tree.py).
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs')


def canonical(node):
    """JSON-safe form that keeps a tuple apart from a list."""
    if isinstance(node, dict):
        return {str(k): canonical(v) for k, v in node.items()}
    if isinstance(node, tuple):
        return {'<tuple>': [canonical(v) for v in node]}
    if isinstance(node, list):
        return [canonical(v) for v in node]
    if isinstance(node, str):
        return node.replace(ROOT, '<ROOT>')
    if node is None or isinstance(node, (bool, int, float)):
        return node
    return {'<repr>': repr(node)}


def leaf_configs(root=CONFIGS):
    return sorted(
        osp.relpath(p, root)
        for p in glob.glob(osp.join(root, '**', '*.py'), recursive=True)
        if '_base_' not in osp.relpath(p, root).split(os.sep))


def dump(out):
    from mmengine.config import Config
    result = {}
    for rel in leaf_configs():
        cfg = Config.fromfile(osp.join(CONFIGS, rel))
        result[rel] = canonical(cfg.to_dict())
    with open(out, 'w') as f:
        json.dump(result, f, sort_keys=True, indent=0)
    print(f'{len(result)} configs -> {out}')


def first_difference(a, b, path=''):
    if type(a) is not type(b):
        return path or '<root>'
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f'{path}.{k}'
            d = first_difference(a[k], b[k], f'{path}.{k}')
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f'{path} (length)'
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f'{path}[{i}]')
            if d:
                return d
        return None
    return None if a == b else path


def compare(before, after, renames):
    with open(before) as f:
        a = json.load(f)
    with open(after) as f:
        b = json.load(f)
    bad = 0
    for old, new in renames.items():
        assert new in b, f'renamed {old} -> {new}: {new} is not in {after}'
    for rel in sorted(a):
        new = renames.get(rel, rel)
        if new not in b:
            print(f'gone: {rel}')
            bad += 1
            continue
        d = first_difference(a[rel], b[new])
        if d:
            print(f'changed: {rel} at {d}')
            bad += 1
        if new != rel and rel in b and a[rel] != b[rel]:
            print(f'changed: {rel} (kept under its old name) differs')
            bad += 1
    added = sorted(set(b) - set(a) - set(renames.values()))
    for rel in added:
        print(f'new: {rel}')
    same = len(a) - bad
    print(f'{same} of {len(a)} configs load identical values'
          f'{f"; {len(added)} new" if added else ""}')
    return bad


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('files', nargs='+')
    parser.add_argument('--compare', action='store_true')
    parser.add_argument(
        '--map', action='append', default=[], metavar='OLD=NEW')
    args = parser.parse_args(argv)
    if not args.compare:
        dump(args.files[0])
        return 0
    renames = dict(m.split('=', 1) for m in args.map)
    return 1 if compare(*args.files, renames) else 0


if __name__ == '__main__':
    sys.exit(main())
