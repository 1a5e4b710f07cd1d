"""docs/reliability.md's bad-input table: at least 15 rows, and every test it
names exists, so the table cannot point at tests that were renamed away."""
import ast
import os.path as osp
import re

from .conftest import ROOT


def test_every_test_named_in_the_bad_input_table_exists():
    with open(osp.join(ROOT, 'docs', 'reliability.md')) as f:
        doc = f.read()
    table = doc.split('## Bad input', 1)[1].split('\n## ', 1)[0]
    rows = [
        line for line in table.splitlines() if re.match(r'\| \d+ \|', line)
    ]
    assert len(rows) >= 15
    for row in rows:
        refs = re.findall(r'`(tests/[\w/]+\.py)::(\w+)`', row)
        assert refs, row
        for path, name in refs:
            with open(osp.join(ROOT, path)) as f:
                tree = ast.parse(f.read())
            names = {
                n.name
                for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
            }
            assert name in names, f'{path}::{name} (row {row[:40]})'
