"""Import a script of tools/ as a module, by its path, without putting its
folder on ``sys.path`` (the scripts import the installed package, not each
other)."""
import importlib.util
import os.path as osp
import sys

from ..conftest import ROOT


def load_tool(path):
    """The module of ``tools/<path>`` (e.g. ``'analysis_tools/tsne.py'``),
    loaded once per test session."""
    name = 'mmctune_tool_' + path[:-len('.py')].replace('/', '_')
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, osp.join(ROOT, 'tools', path))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
