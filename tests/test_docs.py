"""The docs hold what runs: docs/reliability.md's bad-input table names
tests that exist; every Python block of the README and the docs runs, or is
a config fragment that loads and builds, or says why not."""
import ast
import os.path as osp
import re

import pytest

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


# ---------------------------------------------------------------------------
# every Python block of the README and the docs runs (or says why not)
# ---------------------------------------------------------------------------
ANNOTATION = re.compile(r'<!--\s*(not run|run by|run with|source|config file'
                        r'|config):?\s*(.*?)\s*-->')


def _doc_files():
    import glob
    return [osp.join(ROOT, 'README.md')] + sorted(
        glob.glob(osp.join(ROOT, 'docs', '**', '*.md'), recursive=True))


def python_blocks():
    """(file, line, annotation kind, its argument, code) of every fenced
    ``python`` block; the annotation is an HTML comment on the line before
    the fence: how the test runs it."""
    blocks = []
    for path in _doc_files():
        with open(path) as f:
            lines = f.read().splitlines()
        i = 0
        while i < len(lines):
            if lines[i].strip() == '```python':
                prev = lines[i - 1].strip() if i else ''
                m = ANNOTATION.fullmatch(prev)
                end = lines.index('```', i + 1)
                blocks.append(
                    (osp.relpath(path,
                                 ROOT), i + 1, m.group(1) if m else 'run',
                     m.group(2) if m else '', '\n'.join(lines[i + 1:end])))
                i = end
            i += 1
    return blocks


BLOCKS = python_blocks()


def _test_exists(ref):
    path, name = ref.split('::')
    with open(osp.join(ROOT, path)) as f:
        tree = ast.parse(f.read())
    return name in {
        n.name
        for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
    }


def _build_model(cfg):
    from mmctune.registry import MODELS
    from mmctune.utils.cfg_check import check_config_keys, check_hook_args
    check_config_keys(cfg)
    check_hook_args(cfg)
    model = cfg.model.copy()
    if isinstance(model.get('backbone'), dict):
        model.backbone.pop('init_cfg', None)  # no weights to download
    model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    return MODELS.build(model)


def _config_file_in_tree(tmp_path, rel, code):
    """``code`` as the config file ``rel`` (``configs/<dir>/<name>.py``) of a
    copy of the tree made of links to the real files, so that its relative
    ``_base_`` paths resolve as they would there."""
    import os
    tree = tmp_path / 'tree'
    folder = tree / osp.dirname(rel)
    folder.mkdir(parents=True)
    for name in os.listdir(osp.join(ROOT, 'configs')):
        if name != osp.basename(osp.dirname(rel)):
            os.symlink(
                osp.join(ROOT, 'configs', name), tree / 'configs' / name)
    for name in os.listdir(osp.join(ROOT, osp.dirname(rel))):
        os.symlink(osp.join(ROOT, osp.dirname(rel), name), folder / name)
    path = tree / rel
    path.write_text(code + '\n')
    return str(path)


@pytest.mark.parametrize(
    'doc,line,kind,arg,code', BLOCKS, ids=[f'{b[0]}:{b[1]}' for b in BLOCKS])
def test_every_python_block_of_the_docs_runs(doc, line, kind, arg, code,
                                             tmp_path, monkeypatch, request):
    from mmengine.config import Config
    where = f'{doc}:{line}'
    if kind == 'not run':
        assert arg, f'{where}: say why the block does not run'
        pytest.skip(arg)
    if kind == 'run by':
        assert _test_exists(arg), f'{where}: {arg} does not exist'
        return
    if kind == 'source':
        with open(osp.join(ROOT, arg)) as f:
            source = [s.strip() for s in f.read().splitlines()]
        body = [
            s.strip() for s in code.splitlines()
            if s.strip() and not s.startswith(('import ', 'from '))
        ]
        at = 0
        for stmt in body:
            assert stmt in source[at:], f'{where}: not in {arg}: {stmt}'
            at = source.index(stmt, at) + 1
        return
    if kind == 'config':
        path = tmp_path / 'snippet.py'
        path.write_text(f'_base_ = [{osp.join(ROOT, arg)!r}]\n{code}\n')
        _build_model(Config.fromfile(str(path)))
        return
    if kind == 'config file':
        _build_model(
            Config.fromfile(_config_file_in_tree(tmp_path, arg, code)))
        return
    namespace = {}
    if kind == 'run with':  # the placeholders the text names
        import numpy as np
        from PIL import Image
        config, _, checkpoint = request.getfixturevalue('tiny_trained')
        for name in ('photo.jpg', 'a.jpg'):
            Image.fromarray(np.full((28, 28, 3), 100,
                                    np.uint8)).save(tmp_path / name)
        namespace.update(
            CONFIG=config,
            CHECKPOINT=checkpoint,
            rgb_array=np.zeros((28, 28, 3), np.uint8))
        monkeypatch.chdir(tmp_path)
    else:
        assert kind == 'run', where
        monkeypatch.chdir(ROOT)
    exec(compile(code, where, 'exec'), namespace)


def test_the_add_a_loss_guide_as_written(tmp_path, tiny_fmnist, monkeypatch):
    """docs/add_your_own_loss.md's second worked example, its files and
    commands as the guide gives them, in a directory laid out as the
    repository's root (tools/, configs/, data/fashion_mnist: the test's tiny
    copy, which the guide's prepare step then keeps)."""
    import os
    import shutil
    import subprocess
    import sys
    with open(osp.join(ROOT, 'docs', 'add_your_own_loss.md')) as f:
        guide = f.read().split('## Worked example: a loss that is not', 1)[1]
    fences = re.findall(r'```(python|bash)\n(.*?)```', guide, re.S)
    (loss_code, config_code, commands) = [code for _, code in fences[:3]]
    for name in ('tools', 'configs'):
        os.symlink(osp.join(ROOT, name), tmp_path / name)
    shutil.copytree(tiny_fmnist, tmp_path / 'data' / 'fashion_mnist')
    (tmp_path / 'my_losses.py').write_text(loss_code)
    (tmp_path / 'my_centroid_scl.py').write_text(config_code)
    env = dict(os.environ)
    env.pop('MMCTUNE_COMPAT_DISABLE', None)
    r = subprocess.run(
        commands.replace('python ', f'{sys.executable} '),
        shell=True,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        executable='bash')
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'loss_con' in r.stdout
    # the merged form the guide warns against fails as it says
    from mmengine.config import Config
    merged = tmp_path / 'merged.py'
    merged.write_text(
        config_code.replace('_delete_=True, ',
                            '').replace("_base_ = ['configs/",
                                        f"_base_ = ['{ROOT}/configs/"))
    monkeypatch.syspath_prepend(str(tmp_path))  # my_losses
    with pytest.raises(
            TypeError, match="unexpected keyword argument "
            "'temperature'"):
        _build_model(Config.fromfile(str(merged)))
