"""Make ``mim train mmctune ...`` / ``mim test mmctune ...`` work in an
editable install (``pip install -e .``), as they work in a wheel install.
``tools/setup_env.sh`` runs it; after your own ``pip install -e .``, run

    python tools/misc/mim_editable.py

mim looks for the package's ``configs/`` and ``tools/`` in
``<where its metadata is>/mmctune/.mim`` (openmim 0.3.9,
``mim.utils.get_installed_path``). A wheel puts the package there, with
copies of both (setup.py). An editable install since setuptools 64 (PEP
660) leaves the package in the clone and puts only its metadata and an
import hook in site-packages, so mim looks in a ``site-packages/mmctune``
that does not exist and fails with a bare ``CalledProcessError`` (its
``python .../site-packages/mmctune/tools/train.py -h`` finds no file).
mmpretrain's setup.py links ``.mim`` for the ``setup.py develop`` of older
setuptools, which put the clone itself on ``sys.path``; setuptools 80 has
no such mode.

This links ``site-packages/mmctune`` to the clone's package, whose
``.mim/configs`` and ``.mim/tools`` link to the clone's folders (setup.py
makes those links in an editable build; this makes them if an older build
did not). The link is added to the install's RECORD, so that ``pip
uninstall`` and a later ``pip install`` remove it (and never write through
it into the clone). ``import mmctune`` still imports the clone's files.
"""
import argparse
import csv
import importlib.metadata
import io
import json
import os
import os.path as osp
import sys
from urllib.parse import unquote, urlparse

PACKAGE = 'mmctune'


def editable_source(dist):
    """The clone an editable install of ``dist`` points at, or None for
    another kind of install."""
    text = dist.read_text('direct_url.json')
    if not text:
        return None
    info = json.loads(text)
    if not info.get('dir_info', {}).get('editable'):
        return None
    url = urlparse(info['url'])
    return unquote(url.path) if url.scheme == 'file' else None


def link_mim_folders(package_dir):
    """``<package>/.mim/{configs,tools,model-index.yml}`` as links to the
    clone's (what setup.py makes in an editable build)."""
    mim_dir = osp.join(package_dir, '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src = osp.join(osp.dirname(package_dir), name)
        dst = osp.join(mim_dir, name)
        if osp.islink(dst) and osp.realpath(dst) == osp.realpath(src):
            continue
        if osp.lexists(dst) and not osp.islink(dst):
            raise FileExistsError(
                f'{dst} is a copy (from a wheel build?), not a link to {src}: '
                f'delete {mim_dir} and run this again')
        if osp.lexists(dst):
            os.remove(dst)
        os.symlink(osp.relpath(src, mim_dir), dst)


def add_to_record(dist, entry):
    """List ``entry`` (a path relative to the install's location) in its
    RECORD, so that pip removes it with the install."""
    listed = [
        f for f in dist.files or ()
        if f.name == 'RECORD' and f.parent.name.endswith('.dist-info')
    ]
    record = str(dist.locate_file(listed[0])) if listed else None
    if record is None or not osp.isfile(record):
        raise FileNotFoundError(f'the RECORD of {PACKAGE} was not found')
    with open(record, newline='') as f:
        rows = list(csv.reader(f))
    if any(row and row[0] == entry for row in rows):
        return
    out = io.StringIO()
    csv.writer(out, lineterminator='\n').writerows(rows + [[entry, '', '']])
    with open(record, 'w', newline='') as f:
        f.write(out.getvalue())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.parse_args(argv)
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f'{PACKAGE} is not installed in {sys.prefix}: run '
                 '`pip install --no-deps -e .` in the clone first')
    clone = editable_source(dist)
    if clone is None:
        print(f'{PACKAGE} is not an editable install: its wheel carries '
              '.mim already, nothing to do')
        return None
    package_dir = osp.join(clone, PACKAGE)
    if not osp.isfile(osp.join(package_dir, '__init__.py')):
        sys.exit(f'the editable install of {PACKAGE} points at {clone}, '
                 f'which has no {PACKAGE}/ package: install it again from '
                 'the clone (`pip install --no-deps -e .`)')
    link_mim_folders(package_dir)
    site = str(dist.locate_file(''))
    link = osp.join(site, PACKAGE)
    if osp.islink(link):
        if osp.realpath(link) != osp.realpath(package_dir):
            os.remove(link)  # an earlier clone's
    elif osp.exists(link):
        sys.exit(f'{link} exists and is not a link: another install of '
                 f'{PACKAGE} is there; `pip uninstall {PACKAGE}` and '
                 'install again')
    if not osp.islink(link):
        os.symlink(package_dir, link)
    add_to_record(dist, PACKAGE)
    print(f'[mim] {link} -> {package_dir}: `mim train {PACKAGE} CONFIG` '
          f'finds {PACKAGE}/.mim/configs and .mim/tools')
    return link


if __name__ == '__main__':
    main()
