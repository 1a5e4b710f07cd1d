"""Core-tuning's step cost against CE-tuning at several commits, in one
sitting: each commit's own ``step_time.py`` on the same two configs, the
commits' runs interleaved (A, B, A, B, ...) so that the machine's drift hits
all of them, and the median of each commit's runs.

    python .dev_scripts/benchmarks/step_time_commits.py d58ce2d HEAD \
        [--runs 5] [--batch-size 16] [--img-size 128] [--steps 30]
    # what each step computes, not its time: noise-free, about half a minute
    python .dev_scripts/benchmarks/step_time_commits.py d58ce2d HEAD --ops

Each commit is unpacked (``git archive``) into a temporary folder and its
``step_time.py`` (``.dev_scripts/benchmarks/`` or, before the model index,
``tools/benchmarks/``) runs there, importing that commit's mmctune with this
environment's libraries. A run's figure is the median of its paired
per-step ratios (its table's last column) for
``configs/coretune/r50_moco_cifar10.py`` against
``configs/baselines/ce_r50_moco_cifar10.py``: random uint8 images, random
weights, SGD, ``model.train_step``.

``--ops`` compares what one step of each config does instead, which no
noise blurs: the torch operators it dispatches (forward, backward and the
optimizer's, each with its inputs' shapes, counted) and the Python function
calls it makes (``cProfile``), after one warm-up step. The table gives each
commit's totals; the operators whose counts differ between the first
commit and another are listed below it. Equal operators and calls with
different times point away from the model's code: the machine, the
measurement, the memory allocator.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CE = 'configs/baselines/ce_r50_moco_cifar10.py'
CORE = 'configs/coretune/r50_moco_cifar10.py'
SCRIPTS = ('.dev_scripts/benchmarks/step_time.py',
           'tools/benchmarks/step_time.py')
# runs a commit's script as ``python SCRIPT ARGS`` would from its tree: the
# venv's start-up file has imported this clone's mmctune (its environment
# fixes stay installed), so the package is imported again from the tree
RUNNER = '''
import os, runpy, sys
tree, script = sys.argv[1:3]
if not os.path.isfile(os.path.join(tree, 'mmctune', 'compat.py')):
    # before mmctune/compat.py, the package applied its own fixes for this
    # stack at import; the start-up file's are already installed
    os.environ['MMCTUNE_COMPAT_DISABLE'] = 'torchvision_ops,mmcv_lite_ops'
for name in [m for m in sys.modules if m.split('.')[0] == 'mmctune']:
    del sys.modules[name]
# the tree's package first, then, as for ``python SCRIPT``, the script's
# folder
sys.path[:0] = [os.path.dirname(os.path.abspath(script)), tree]
sys.argv = [script] + sys.argv[3:]
runpy.run_path(script, run_name='__main__')
'''
# ``--ops``: the same start, then one step of each config (the commit's
# step_time.py's build and make_batch) counted by step_profile() of this
# file, printed as JSON on the last line
OPS_RUNNER = RUNNER.replace(
    "runpy.run_path(script, run_name='__main__')", '''
helpers = runpy.run_path(script, run_name='step_time')
import json
from mmctune.utils import register_all_modules
register_all_modules()
sys.path.insert(0, os.environ['STEP_TIME_COMMITS_DIR'])
from step_time_commits import step_profile
batch_size, img_size = int(sys.argv[1]), int(sys.argv[2])
out = {}
for config in sys.argv[3:]:
    import torch
    torch.manual_seed(0)
    model, optim_wrapper = helpers['build'](config, 'cpu', img_size)
    batch = helpers['make_batch'](batch_size, img_size, 10)
    ops, calls = step_profile(model, optim_wrapper, batch)
    out[config] = dict(ops=ops, calls=calls)
print(json.dumps(out))''')


def step_profile(model, optim_wrapper, batch):
    """What one ``model.train_step`` does after a warm-up step: ({'op
    (input shapes)': count} of the torch operators it dispatches, the number
    of Python function calls)."""
    import collections
    import cProfile
    import pstats

    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    class Counter(TorchDispatchMode):

        def __init__(self):
            super().__init__()
            self.ops = collections.Counter()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            shapes = [
                tuple(a.shape) for a in args if isinstance(a, torch.Tensor)
            ]
            self.ops[f'{func} {shapes}'] += 1
            return func(*args, **(kwargs or {}))

    model.train_step(batch, optim_wrapper)  # warm-up: lazy state is made
    with Counter() as counter:
        model.train_step(batch, optim_wrapper)
    profile = cProfile.Profile()
    profile.enable()
    model.train_step(batch, optim_wrapper)
    profile.disable()
    return dict(counter.ops), pstats.Stats(profile).total_calls


def op_differences(first: dict, other: dict) -> list:
    """(op, count in ``first``, count in ``other``) of the operators whose
    counts differ, sorted by op."""
    return [(op, first.get(op, 0), other.get(op, 0))
            for op in sorted(set(first) | set(other))
            if first.get(op, 0) != other.get(op, 0)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('commits', nargs='+', help='two or more commits')
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=128)
    parser.add_argument('--steps', type=int, default=30)
    parser.add_argument(
        '--ops',
        action='store_true',
        help='count the operators and Python calls of one step instead of '
        'timing steps')
    parser.add_argument(
        '--configs',
        nargs=2,
        default=[CE, CORE],
        metavar=('BASELINE', 'METHOD'),
        help='the two configs (paths in the commits\' trees; default: '
        'CE-tuning and Core-tuning of MoCo v2 ResNet-50 on CIFAR-10)')
    args = parser.parse_args(argv)
    if len(args.commits) < 2:
        parser.error('name two or more commits to compare')
    return args


def unpack(commit, folder):
    """The commit's tree in ``folder``; its full hash."""
    sha = subprocess.run(
        ['git', 'rev-parse', '--verify', f'{commit}^{{commit}}'],
        cwd=ROOT,
        capture_output=True,
        text=True)
    if sha.returncode != 0:
        raise SystemExit(f'{commit}: not a commit of {ROOT}')
    sha = sha.stdout.strip()
    os.makedirs(folder)
    archive = subprocess.Popen(['git', 'archive', sha],
                               cwd=ROOT,
                               stdout=subprocess.PIPE)
    subprocess.run(['tar', '-x', '-C', folder],
                   stdin=archive.stdout,
                   check=True)
    if archive.wait() != 0:
        raise SystemExit(f'git archive {sha} failed')
    return sha


def paired_ratio(output, config=CORE):
    """``config``'s median paired ratio from a step_time.py table."""
    for line in output.splitlines():
        if line.startswith(f'| {config} |'):
            return float(line.strip(' |').split('|')[-1])
    raise ValueError(f'no row for {config} in:\n{output[-3000:]}')


def run_in_tree(commit, tree, script, runner, args, env=None):
    """``runner`` (RUNNER or OPS_RUNNER) on the commit's tree: its output."""
    r = subprocess.run([sys.executable, '-c', runner, tree, script, *args],
                       cwd=tree,
                       env=env,
                       stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        raise SystemExit(f'{commit}: step_time.py failed:\n'
                         f'{r.stdout[-3000:]}')
    return r.stdout


def compare_ops(trees, args):
    """Each commit's operators and Python calls per step (``--ops``)."""
    env = dict(os.environ, STEP_TIME_COMMITS_DIR=osp.dirname(__file__))
    found = {}
    for commit, sha, tree, script in trees:
        out = run_in_tree(
            commit, tree, script, OPS_RUNNER,
            [str(args.batch_size),
             str(args.img_size), *args.configs], env)
        found[commit] = json.loads(out.strip().splitlines()[-1])
    print(f'one training step, batch {args.batch_size} x {args.img_size} '
          'px, after a warm-up step: torch operators dispatched and Python '
          'function calls')
    print('\n| commit | config | operators | Python calls |')
    print('|---|---|---|---|')
    for commit, sha, *_ in trees:
        for config in args.configs:
            step = found[commit][config]
            print(f'| {commit} ({sha[:7]}) | {config} | '
                  f'{sum(step["ops"].values())} | {step["calls"]} |')
    first = trees[0][0]
    for commit, *_ in trees[1:]:
        for config in args.configs:
            diff = op_differences(found[first][config]['ops'],
                                  found[commit][config]['ops'])
            print(f'\n{config}: {len(diff)} operators (with their input '
                  f'shapes) counted differently in {first} and {commit}')
            for op, a, b in diff:
                print(f'  {a} -> {b}  {op}')
    return found


def main(argv=None):
    args = parse_args(argv)
    options = [
        '--configs', *args.configs, '--batch-size',
        str(args.batch_size), '--img-size',
        str(args.img_size), '--steps',
        str(args.steps)
    ]
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        trees = []
        for i, commit in enumerate(args.commits):
            tree = osp.join(tmp, str(i))
            sha = unpack(commit, tree)
            script = next(
                (s for s in SCRIPTS if osp.isfile(osp.join(tree, s))), None)
            if script is None:
                raise SystemExit(f'{commit}: has no step_time.py ({SCRIPTS})')
            trees.append((commit, sha, tree, script))
            ratios[commit] = []
        if args.ops:
            return compare_ops(trees, args)
        print(
            f'{len(trees)} commits x {args.runs} runs, interleaved: '
            f'{" ".join(options)}',
            flush=True)
        for run in range(args.runs):
            for commit, sha, tree, script in trees:
                out = run_in_tree(commit, tree, script, RUNNER, options)
                ratios[commit].append(paired_ratio(out, args.configs[1]))
                print(
                    f'run {run + 1} {commit} ({sha[:7]}): '
                    f'{ratios[commit][-1]:.3f}',
                    flush=True)
    names = ('Core / CE' if args.configs == [CE, CORE] else ' / '.join(
        osp.basename(c)[:-3] for c in args.configs[::-1]))
    print(f'\n| commit | {names}, each run | median |')
    print('|---|---|---|')
    for commit, sha, *_ in trees:
        each = ', '.join(f'{r:.3f}' for r in ratios[commit])
        print(f'| {commit} ({sha[:7]}) | {each} | '
              f'{statistics.median(ratios[commit]):.3f} |')
    return ratios


if __name__ == '__main__':
    main()
