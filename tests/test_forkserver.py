"""tests/forkserver.py: a script forked from the server sees what a fresh
``python SCRIPT ARGS`` sees (its arguments, ``__main__``, ``sys.path[0]``,
environment, working directory, output streams, exit status), so the tests
that use it test what a user's command does."""
import subprocess

import pytest

from .conftest import run_python

SCRIPT = """
import os, sys
import multiprocessing as mp

def child(q):
    import mylib
    q.put(f'child ran, imported {mylib.VALUE}')

if __name__ == '__main__':
    print('argv', sys.argv[1:])
    print('main', __name__, os.path.basename(__file__))
    print('path0', sys.path[0] == os.path.dirname(os.path.abspath(__file__)))
    print('env', os.environ.get('FORK_TEST_VALUE'))
    print('cwd', os.getcwd())
    print('to stderr', file=sys.stderr)
    import mylib
    print('imported', mylib.VALUE)
    # a spawned process re-imports this script as its main module
    ctx = mp.get_context('spawn')
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q, ))
    p.start()
    print(q.get(timeout=120))
    p.join()
    sys.exit(int(sys.argv[1]))
"""


def test_a_forked_run_sees_what_a_fresh_interpreter_sees(tmp_path):
    (tmp_path / 'script.py').write_text(SCRIPT)
    lib = tmp_path / 'lib'
    lib.mkdir()
    (lib / 'mylib.py').write_text('VALUE = 7\n')
    work = tmp_path / 'work'
    work.mkdir()
    runs = [
        run_python(
            args=[str(tmp_path / 'script.py'), '3', 'a b'],
            env=dict(FORK_TEST_VALUE='x', PYTHONPATH=str(lib)),
            cwd=str(work),
            fresh=fresh) for fresh in (False, True)
    ]
    forked, fresh = runs
    assert forked.returncode == fresh.returncode == 3
    lines = sorted(forked.stdout.splitlines())
    assert lines == sorted(fresh.stdout.splitlines())
    assert "argv ['3', 'a b']" in lines and 'main __main__ script.py' in lines
    assert 'path0 True' in lines and 'env x' in lines
    assert f'cwd {work}' in lines and 'to stderr' in lines
    assert 'imported 7' in lines and 'child ran, imported 7' in lines


def test_a_run_past_its_timeout_is_killed(tmp_path):
    (tmp_path / 'slow.py').write_text('import time\ntime.sleep(60)\n')
    with pytest.raises(subprocess.TimeoutExpired):
        run_python(args=[str(tmp_path / 'slow.py')], timeout=2)
    # the server is free for the next run
    (tmp_path / 'quick.py').write_text('print("next")\n')
    assert run_python(args=[str(tmp_path / 'quick.py')]).stdout == 'next\n'
