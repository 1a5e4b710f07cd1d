"""Run a script of the repository (``tools/train.py ...``) as a fresh
``python SCRIPT ARGS`` would, without paying the interpreter's imports each
time: a server process imports torch, mmengine, mmpretrain, mmseg and mmctune
once (and runs nothing), then forks one child per run. The child sets the
run's argv, environment, ``sys.path`` and working directory, sends its
output to a file and runs the script as ``__main__``
(``runpy.run_path``); its exit status is the script's.

A forked child starts from the state a fresh interpreter has after those
imports, so it is used only for scripts, whose behaviour does not depend on
what was imported first; what the imports print (warnings) is printed once,
by the server, not in each run's output. ``python -c CODE`` runs (the
import checks of tests/test_compat.py) and ``run_python(..., fresh=True)``
(the console-noise check) start a new interpreter
(``tests/conftest.py::run_python``). ``python_shim`` gives shell scripts
(the guides' commands) the same ``python``.
"""
import json
import os
import select
import signal
import subprocess
import sys
import time

# what the tools import before they parse their arguments, and what a
# Runner imports when it builds its visualizer and hooks (matplotlib's
# figure and Agg canvas: about 0.4 s of each training run otherwise)
PRELOAD = ('torch', 'torchvision', 'mmengine.runner', 'mmpretrain.models',
           'mmpretrain.datasets', 'mmpretrain.engine',
           'mmpretrain.visualization', 'mmseg.models', 'mmctune.models',
           'mmctune.engine', 'mmctune.datasets', 'mmctune.evaluation',
           'mmctune.utils', 'matplotlib.figure',
           'matplotlib.backends.backend_agg', 'tabulate')

SERVER = r'''
import gc, importlib, json, os, runpy, sys
for name in sys.argv[1].split(','):
    importlib.import_module(name)
# what the imports made is never garbage: keep it out of the children's
# collections (mmengine's datasets call gc.collect(), about 0.2 s each over
# the whole heap otherwise)
gc.freeze()
base_path = list(sys.path[1:])
out = sys.stdout
out.write('ready\n'); out.flush()
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fd = os.open(req['output'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, 'w', buffering=1, closefd=False)
        sys.stderr = open(2, 'w', buffering=1, closefd=False)
        os.chdir(req['cwd'])
        os.environ.clear()
        os.environ.update(req['env'])
        script = req['argv'][0]
        extra = [p for p in req['env'].get('PYTHONPATH', '').split(os.pathsep)
                 if p]
        sys.path[:] = [os.path.dirname(os.path.abspath(script))] + extra + \
            base_path
        sys.argv = list(req['argv'])
        threads = req['env'].get('OMP_NUM_THREADS')
        if threads:
            import torch
            torch.set_num_threads(int(threads))
        code = 0
        try:
            runpy.run_path(script, run_name='__main__')
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                print(e.code, file=sys.stderr)
                code = 1
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        try:
            # what the interpreter does at exit: join the threads the run
            # left, then the atexit callbacks (multiprocessing's among them)
            import atexit, threading
            threading._shutdown()
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    out.write(f'{pid}\n'); out.flush()
    _, status = os.waitpid(pid, 0)
    out.write(f'{os.waitstatus_to_exitcode(status)}\n'); out.flush()
'''


class ForkServer:
    """One server per test process (its runs are one at a time)."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, '-c', SERVER, ','.join(PRELOAD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1)
        if self.proc.stdout.readline().strip() != 'ready':
            raise RuntimeError('the fork server did not start')

    def run(self, argv, env, cwd, timeout, output):
        """Run ``argv`` (a script and its arguments); return (exit status,
        output). Raises ``subprocess.TimeoutExpired`` after ``timeout``
        seconds, having killed the run and the processes it started."""
        self.proc.stdin.write(
            json.dumps(
                dict(argv=list(argv), env=env, cwd=str(cwd), output=output)) +
            '\n')
        self.proc.stdin.flush()
        pid = int(self.proc.stdout.readline())
        end = time.monotonic() + timeout
        ready, _, _ = select.select([self.proc.stdout], [], [],
                                    max(0.0, end - time.monotonic()))
        if not ready:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.stdout.readline()
            with open(output, errors='replace') as f:
                raise subprocess.TimeoutExpired(argv, timeout, f.read())
        code = int(self.proc.stdout.readline())
        with open(output, errors='replace') as f:
            return code, f.read()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


CLIENT = r'''
import json, os, socket, sys
argv = sys.argv[1:]
if not argv or not argv[0].endswith('.py'):
    python = os.environ['FORK_SHIM_PYTHON']
    os.execv(python, [python] + argv)
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ['FORK_SHIM_SOCKET'])
s.sendall((json.dumps(dict(argv=argv, cwd=os.getcwd(),
                           env=dict(os.environ))) + '\n').encode())
reply = json.loads(s.makefile().readline())
sys.stdout.write(reply['out'])
sys.stdout.flush()
sys.exit(reply['code'])
'''


def python_shim(server, bin_dir, timeout=600):
    """Write ``bin_dir/python``: a ``python`` for shell scripts whose
    ``python SCRIPT ARGS`` runs forked from ``server`` (its output and exit
    status passed through); any other use (``-c``, ``-m``) is this
    interpreter. Put ``bin_dir`` first on ``PATH``; the returned function
    stops the shim's listener."""
    import socket
    import threading
    bin_dir = str(bin_dir)
    sock_path = os.path.join(bin_dir, 'fork.sock')
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(sock_path)
    listener.listen()
    client = os.path.join(bin_dir, 'fork_client.py')
    with open(client, 'w') as f:
        f.write(CLIENT)
    shim = os.path.join(bin_dir, 'python')
    with open(shim, 'w') as f:
        f.write(f'#!/bin/sh\nFORK_SHIM_SOCKET={sock_path} '
                f'FORK_SHIM_PYTHON={sys.executable} '
                f'exec {sys.executable} -S -I {client} "$@"\n')
    os.chmod(shim, 0o755)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed
            with conn:
                req = json.loads(conn.makefile().readline())
                env = {
                    k: v
                    for k, v in req['env'].items()
                    if not k.startswith('FORK_SHIM_')
                }
                output = os.path.join(bin_dir, 'run.log')
                try:
                    code, out = server.run(req['argv'], env, req['cwd'],
                                           timeout, output)
                except subprocess.TimeoutExpired as e:
                    code, out = 124, f'{e.output}\ntimed out'
                conn.sendall(
                    (json.dumps(dict(code=code, out=out)) + '\n').encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def stop():
        listener.close()
        thread.join(timeout=5)

    return stop
