"""Sphinx configuration of mmctune's docs site.

The Markdown of ``docs/`` stays the source (MyST parses the pages as they
read on GitHub); ``docs/api/`` adds the API reference from the docstrings
(Google style, as mmpretrain's). Build it, warnings as errors, with::

    .venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html

``tests/test_docs_site.py`` runs the same build and checks the links
between the built pages. Nothing is fetched from the network (no
intersphinx).

What is an error (with ``-W``):

- a link ``[text](page.md)`` or ``[text](page.md#section)`` to a page or
  a section that does not exist (``myst_heading_anchors`` gives the
  headings the anchors GitHub gives them), a page in no table of contents,
  a heading that skips a level, a docstring that is not valid
  reStructuredText;
- a link to a file of the repository outside ``docs/``
  (``[text](../configs/provenance.yml)``) that does not exist. Such links
  stay as they are in the Markdown, relative, so that they work on GitHub;
  on the site MyST makes them download links (the file is copied into the
  site's ``_downloads/``);
- a class or function of the API reference without a docstring of its own
  (``_check_docstring``: autodoc alone says nothing);
- a class or function of mmctune's public API (``public_objects``: the
  classes registered in mmctune's registries, the ``__all__`` of its
  packages) that the API reference leaves out (``_check_coverage``);
- a docstring's reference to an mmctune object by its full name
  (``:class:`mmctune.models.heads.FeatureRegularizedClsHead```) that is not
  in the API reference (``_check_reference``). Other references (torch's or
  mmengine's classes, a module's private helpers by their short name) are
  not checked: they would need intersphinx (the network) or a nitpicky
  build of every type of every signature; they show as plain code.
"""
import importlib
import inspect
import os
import os.path as osp
import sys

from sphinx.util import logging

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# the package of this tree, not another installed copy
sys.path.insert(0, ROOT)

import mmctune  # noqa: E402

# an interpreter whose start-up imported another copy of mmctune (the
# virtual environment of another clone) would document that copy
if osp.realpath(mmctune.__path__[0]) != osp.join(
        osp.realpath(ROOT), 'mmctune'):
    raise RuntimeError(
        f'the docs of {ROOT} would document the mmctune of '
        f'{mmctune.__path__[0]}: build them with this clone\'s environment '
        f'(or PYTHONPATH={ROOT})')

project = 'mmctune'
copyright = 'mmctune contributors'
author = 'mmctune contributors'
version = release = mmctune.__version__

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.mathjax',
]
source_suffix = {'.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build']

# MyST: GitHub's anchors for the headings down to ####, so that the
# Markdown's ``page.md#section`` links resolve on the site as on GitHub. No
# dollarmath: the pages write shell variables ($CKPT), not TeX; the
# docstrings' formulas are :math: roles (MathJax).
myst_heading_anchors = 4
# the text as written, as GitHub shows it (no curly quotes, no en dashes)
smartquotes = False

# autodoc: the class docstring (it documents the __init__ arguments, as in
# mmpretrain), the documented public methods and attributes, the bases
autoclass_content = 'class'
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = {'members': True, 'show-inheritance': True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = 'furo'
html_title = f'mmctune {version}'
html_copy_source = False
html_show_sourcelink = False

logger = logging.getLogger(__name__)


def public_objects():
    """``{name: object}``: mmctune's public classes and functions, which the
    API reference documents: those in the ``__all__`` of its packages (by
    that name) and those registered in its registries."""
    import mmctune.registry as registry
    from mmctune.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    objects = {}  # id: (name, object)
    package_dir = osp.join(ROOT, 'mmctune')
    for folder, dirs, files in os.walk(package_dir):
        dirs[:] = sorted(d for d in dirs if d.isidentifier())
        if '__init__.py' not in files:
            continue
        rel = osp.relpath(folder, package_dir)
        package = importlib.import_module(
            'mmctune' if rel == '.' else 'mmctune.' + rel.replace(os.sep, '.'))
        for name in getattr(package, '__all__', ()):
            obj = getattr(package, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                objects.setdefault(
                    id(obj), (f'{package.__name__}.{name}', obj))
    for node in registry.__all__:
        for obj in getattr(registry, node).module_dict.values():
            if obj.__module__.startswith('mmctune.'):
                objects.setdefault(
                    id(obj), (f'{obj.__module__}.{obj.__qualname__}', obj))
    return dict(objects.values())


def resolve(name):
    """The object a dotted name documents, or None: attributes first (a
    package's function may hide its module of the same name, as
    ``mmctune.evaluation.functional.s_dbw``), modules where there is none.
    """
    parts = name.split('.')
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], 2):
        if hasattr(obj, part):
            obj = getattr(obj, part)
        elif inspect.ismodule(obj):
            try:
                obj = importlib.import_module('.'.join(parts[:i]))
            except ImportError:
                return None
        else:
            return None
    return obj


def _check_docstring(app, what, name, obj, options, signature,
                     return_annotation):
    """A warning for a class or function of the API reference without a
    docstring of its own (a class's ``__doc__`` is not inherited)."""
    if what in ('class', 'exception',
                'function') and not (obj.__doc__ or '').strip():
        logger.warning(
            f'{name}: a public {what} without a docstring',
            type='mmctune',
            subtype='docstring')


def _check_coverage(app, env):
    """A warning for each public class or function of mmctune that no page
    of the API reference documents."""
    documented = {
        id(resolve(name))
        for name, entry in env.get_domain('py').objects.items()
        if entry.objtype in ('class', 'exception', 'function', 'method')
    }
    for name, obj in sorted(public_objects().items()):
        if id(obj) in documented:
            continue
        if not (obj.__doc__ or '').strip():
            # autodoc's :members: leaves out what has no docstring
            why = 'without a docstring, so not in the API reference'
        else:
            why = 'not in the API reference (docs/api/)'
        logger.warning(
            f'{name}: public, {why}', type='mmctune', subtype='coverage')


def _check_reference(app, env, node, contnode):
    """A warning for an unresolved reference to a public mmctune object by
    its full name (private names, such as the private bases that
    ``show-inheritance`` lists, are left alone)."""
    target = node.get('reftarget', '')
    if (node.get('refdomain') == 'py' and target.startswith('mmctune.')
            and not any(p.startswith('_') for p in target.split('.'))):
        logger.warning(
            f'{target}: not in the API reference (docs/api/)',
            location=node,
            type='mmctune',
            subtype='reference')
    return None


def setup(app):
    app.connect('autodoc-process-signature', _check_docstring)
    app.connect('env-check-consistency', _check_coverage)
    app.connect('missing-reference', _check_reference)
