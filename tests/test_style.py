"""The style checks of .pre-commit-config.yaml on the whole tree (every
file git tracks): flake8, isort, yapf (setup.cfg has their settings),
codespell and trailing whitespace, with the pinned tools of
requirements/style.txt (tools/setup_env.sh installs them)."""
import os.path as osp
import subprocess
import sys

import pytest

from .conftest import ROOT


def tracked(*patterns):
    out = subprocess.run(['git', 'ls-files', *patterns],
                         cwd=ROOT,
                         capture_output=True,
                         text=True,
                         check=True).stdout
    return out.split()


def run_tool(module, *args, files):
    proc = subprocess.run([sys.executable, '-m', module, *args, *files],
                          cwd=ROOT,
                          capture_output=True,
                          text=True)
    if 'No module named' in proc.stderr:
        pytest.fail(f'{module} is not installed: pip install -r '
                    'requirements/style.txt')
    return proc


@pytest.fixture(scope='module')
def python_files():
    if not osp.isdir(osp.join(ROOT, '.git')) and not osp.isfile(
            osp.join(ROOT, '.git')):
        pytest.skip('not a git checkout (the style checks run on the '
                    'tracked files)')
    return tracked('*.py')


def test_flake8(python_files):
    proc = run_tool('flake8', files=python_files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_isort(python_files):
    proc = run_tool('isort', '--check-only', '--diff', files=python_files)
    assert proc.returncode == 0, (
        proc.stdout + proc.stderr + '\nfix: isort $(git ls-files "*.py")')


def test_yapf(python_files):
    proc = run_tool('yapf', '--diff', '--parallel', files=python_files)
    assert proc.returncode == 0 and not proc.stdout, (
        proc.stdout[-3000:] + proc.stderr +
        '\nfix: yapf -i $(git ls-files "*.py")')


def test_codespell(python_files):
    files = tracked('*.py', '*.md', '*.sh', '*.yml')
    proc = run_tool('codespell_lib', files=files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_trailing_whitespace(python_files):
    bad = []
    for path in tracked('*.py', '*.md', '*.yml', '*.sh', '*.cfg', '*.txt'):
        with open(
                osp.join(ROOT, path), encoding='utf-8', errors='ignore') as f:
            bad += [
                f'{path}:{i}' for i, line in enumerate(f, 1)
                if line.rstrip('\n').endswith((' ', '\t'))
            ]
    assert not bad, bad
