"""Import a module of the benchmark area (``.dev_scripts/benchmarks/``) by
its name, with the area's folder on ``sys.path`` as when its scripts run:
they share ``benchlib.py`` and ``sweep.py`` (spawned workers inherit the
path)."""
import importlib
import os.path as osp
import sys

from ..conftest import ROOT

AREA = osp.join(ROOT, '.dev_scripts', 'benchmarks')


def load_bench(name):
    """The module ``name`` of the benchmark area (``'finetune_table'``),
    imported once per test session."""
    if AREA not in sys.path:
        sys.path.insert(0, AREA)
    return importlib.import_module(name)


def script(name):
    """The path of a script of the area, to run it (``'step_time.py'``)."""
    return osp.join(AREA, name)
