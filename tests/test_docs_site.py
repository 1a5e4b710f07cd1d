"""The docs site (docs/conf.py): the build of docs/get_started.md's
command, warnings as errors (broken links and references, a public class
without a docstring or left out of the API reference), and the links
between the built pages: every page and section a link names exists."""
import html.parser
import importlib.util
import os
import os.path as osp
import subprocess
import sys
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import ROOT

DOCS = osp.join(ROOT, 'docs')


def _conf():
    """docs/conf.py as a module (its public_objects and resolve)."""
    spec = importlib.util.spec_from_file_location('docs_conf',
                                                  osp.join(DOCS, 'conf.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Page(html.parser.HTMLParser):
    """The ids (link targets) and the links of one HTML page."""

    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get('id'):
            self.ids.add(attrs['id'])
        if tag == 'a' and attrs.get('name'):
            self.ids.add(attrs['name'])
        for key in ('href', 'src'):
            if attrs.get(key) and tag in ('a', 'link', 'img', 'script'):
                self.links.append(attrs[key])


def _parse(path):
    page = _Page()
    with open(path, encoding='utf-8') as f:
        page.feed(f.read())
    return page


def broken_links(site):
    """``['page.html: link (why)']`` for the relative links of the HTML
    pages under ``site`` whose file, or whose page's ``#anchor``, does not
    exist; external links (with a scheme or a host) are not followed."""
    pages = {}
    for folder, _, files in os.walk(site):
        for name in files:
            if name.endswith('.html'):
                path = osp.join(folder, name)
                pages[osp.normpath(path)] = _parse(path)
    broken = []
    for path, page in sorted(pages.items()):
        where = osp.relpath(path, site)
        for link in page.links:
            url = urlsplit(link)
            if url.scheme or url.netloc or link.startswith('/'):
                continue
            target = osp.normpath(
                osp.join(osp.dirname(path), unquote(
                    url.path))) if url.path else path
            if not osp.isfile(target):
                broken.append(f'{where}: {link} (no such file)')
            elif url.fragment and target in pages and unquote(
                    url.fragment) not in pages[target].ids:
                broken.append(f'{where}: {link} (no such anchor)')
    return broken, len(pages)


def test_broken_links_finds_a_missing_page_and_a_missing_anchor(tmp_path):
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'a.html').write_text(
        '<a href="sub/b.html#there">ok</a><a href="sub/b.html#gone">x</a>'
        '<a href="c.html">x</a><a href="#top">ok</a><p id="top"></p>'
        '<a href="https://example.org/x.html#y">external</a>')
    (tmp_path / 'sub' / 'b.html').write_text(
        '<h1 id="there"></h1><a href="../a.html#top">ok</a>'
        '<link href="../style.css"/>')
    broken, n = broken_links(str(tmp_path))
    assert n == 2
    assert broken == [
        'a.html: sub/b.html#gone (no such anchor)',
        'a.html: c.html (no such file)',
        'sub/b.html: ../style.css (no such file)',
    ]


def test_the_site_builds_without_warnings_and_its_links_resolve(tmp_path):
    """docs/get_started.md's command (into a temporary folder): no warning,
    every link between the pages resolves, every registered class of
    mmctune is on a page of the API reference."""
    try:
        import furo  # noqa: F401
        import myst_parser  # noqa: F401
        import sphinx  # noqa: F401
    except ImportError as e:
        pytest.fail(f'{e.name} is not installed: pip install -r '
                    'requirements/docs.txt (tools/setup_env.sh does)')
    site = tmp_path / 'html'
    # this tree's mmctune (docs/conf.py refuses another copy)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            p for p in (ROOT, os.environ.get('PYTHONPATH')) if p))
    cmd = [
        sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b',
        'html', '-d', f'{tmp_path}/doctrees', DOCS, f'{site}'
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, (
        f'the docs build failed (exit status {proc.returncode}):\n' +
        proc.stderr[-6000:] + proc.stdout[-2000:])

    broken, n_pages = broken_links(str(site))
    assert not broken, '\n'.join(broken)
    # every Markdown page became a page of the site
    sources = [
        osp.relpath(osp.join(folder, name), DOCS)
        for folder, dirs, files in os.walk(DOCS)
        if not osp.relpath(folder, DOCS).startswith('_build') for name in files
        if name.endswith('.md')
    ]
    for source in sources:
        assert (site / (source[:-3] + '.html')).is_file(), source
    assert n_pages > len(sources)  # and the index pages

    # the API reference names every registered class and every public
    # class and function of the packages' __all__ (docs/conf.py checks it
    # during the build too): the ids of its entries
    conf = _conf()
    documented = set()
    for page in (site / 'api').glob('*.html'):
        documented |= {
            id(conf.resolve(i))
            for i in _parse(page).ids if i.startswith('mmctune.')
        }
    missing = [
        name for name, obj in conf.public_objects().items()
        if id(obj) not in documented
    ]
    assert not missing, f'not in docs/api/: {missing}'


def test_every_public_class_and_function_has_a_docstring():
    """Its own (autodoc says nothing about an empty docstring; docs/conf.py
    makes it a warning of the build too): the registered classes and the
    classes and functions of the packages' __all__."""
    objects = _conf().public_objects()
    assert len(objects) > 100
    missing = [
        name for name, obj in sorted(objects.items())
        if not (obj.__doc__ or '').strip()
    ]
    assert not missing, f'without a docstring: {missing}'
