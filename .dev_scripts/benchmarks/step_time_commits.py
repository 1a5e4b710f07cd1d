"""Core-tuning's step cost against CE-tuning at several commits, in one
sitting: each commit's own ``step_time.py`` on the same two configs, the
commits' runs interleaved (A, B, A, B, ...) so that the machine's drift hits
all of them, and the median of each commit's runs.

    python .dev_scripts/benchmarks/step_time_commits.py d58ce2d HEAD \
        [--runs 5] [--batch-size 16] [--img-size 128] [--steps 30]

Each commit is unpacked (``git archive``) into a temporary folder and its
``step_time.py`` (``.dev_scripts/benchmarks/`` or, before the model index,
``tools/benchmarks/``) runs there, importing that commit's mmctune with this
environment's libraries. A run's figure is the median of its paired
per-step ratios (its table's last column) for
``configs/coretune/r50_moco_cifar10.py`` against
``configs/baselines/ce_r50_moco_cifar10.py``: random uint8 images, random
weights, SGD, ``model.train_step``.
"""
import argparse
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


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('commits', nargs='+', help='two or more commits')
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=128)
    parser.add_argument('--steps', type=int, default=30)
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


def paired_ratio(output):
    """Core-tuning's median paired ratio from a step_time.py table."""
    for line in output.splitlines():
        if line.startswith(f'| {CORE} |'):
            return float(line.strip(' |').split('|')[-1])
    raise ValueError(f'no row for {CORE} in:\n{output[-3000:]}')


def main(argv=None):
    args = parse_args(argv)
    options = [
        '--configs', CE, CORE, '--batch-size',
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
        print(
            f'{len(trees)} commits x {args.runs} runs, interleaved: '
            f'{" ".join(options)}',
            flush=True)
        for run in range(args.runs):
            for commit, sha, tree, script in trees:
                r = subprocess.run(
                    [sys.executable, '-c', RUNNER, tree, script, *options],
                    cwd=tree,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True)
                if r.returncode != 0:
                    raise SystemExit(f'{commit}: step_time.py failed:\n'
                                     f'{r.stdout[-3000:]}')
                ratios[commit].append(paired_ratio(r.stdout))
                print(
                    f'run {run + 1} {commit} ({sha[:7]}): '
                    f'{ratios[commit][-1]:.3f}',
                    flush=True)
    print('\n| commit | Core / CE, each run | median |')
    print('|---|---|---|')
    for commit, sha, *_ in trees:
        each = ', '.join(f'{r:.3f}' for r in ratios[commit])
        print(f'| {commit} ({sha[:7]}) | {each} | '
              f'{statistics.median(ratios[commit]):.3f} |')
    return ratios


if __name__ == '__main__':
    main()
