"""Training curves of a run as a PNG: every loss term and the learning rate
per iteration, and the validation metrics per epoch, from the scalars
mmengine writes (``WORK_DIR/<timestamp>/vis_data/scalars.json``).

    python tools/analysis_tools/plot_curves.py WORK_DIR_OR_SCALARS_JSON \
        --out curves.png

A resumed run writes each part into its own ``<timestamp>`` folder: given
the work dir, the parts are joined in time order, and a later part replaces
what an earlier one logged from its first iteration on (a run resumed from
an earlier checkpoint, or started afresh, supersedes what it repeats).
Folders of ``tools/test.py`` runs (no training scalars) are left out.
"""
import argparse
import glob
import json
import os
import os.path as osp

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def find_scalars(path):
    """The scalars files of ``path``: itself if a file, else every
    ``<timestamp>/vis_data/scalars.json`` of the work dir, oldest first."""
    if osp.isfile(path):
        return [path]
    found = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not found:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {path}')
    return found


def _read_one(path):
    train, val = [], []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            (train if 'lr' in rec else val).append(rec)
    return train, val


def read_scalars(paths):
    """Training and validation records of the parts of one run (see the
    module's docstring); returns ``(train, val, parts used)``."""
    if isinstance(paths, str):
        paths = [paths]
    train, val, used = [], [], []
    for path in paths:
        part_train, part_val = _read_one(path)
        if not part_train and len(paths) > 1:
            continue  # a test run's folder, or a part that never trained
        if part_train:
            first = min(part_train, key=lambda r: r['step'])
            train = [r for r in train if r['step'] < first['step']]
            # validation steps are epochs (iterations in an iteration-based
            # run): keep those of the epochs before this part's first one
            val_start = first.get('epoch', first['step'])
            val = [r for r in val if r['step'] < val_start]
        train += part_train
        val += part_val
        used.append(path)
    if not train and not val:
        raise ValueError(f'{", ".join(paths)}: no scalars')
    return train, val, used


def plot(train, val, out, title=''):
    losses = sorted({k for r in train for k in r if k.startswith('loss')})
    metrics = sorted({
        k for r in val for k in r
        if k not in ('step', 'epoch', 'iter', 'data_time', 'time')
    })
    panels = [p for p in (losses and 'loss', train and 'lr', metrics
                          and 'val') if p]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5 * len(panels), 4), dpi=120, squeeze=False)
    for ax, panel in zip(axes[0], panels):
        if panel == 'loss':
            for k in losses:
                pts = [(r['step'], r[k]) for r in train if k in r]
                ax.plot(*zip(*pts), label=k)
            ax.set_xlabel('iteration')
            ax.set_title('training losses')
            ax.legend(fontsize=8)
        elif panel == 'lr':
            ax.plot([r['step'] for r in train], [r['lr'] for r in train])
            ax.set_xlabel('iteration')
            ax.set_title('learning rate')
        else:
            for k in metrics:
                pts = [(r['step'], r[k]) for r in val if k in r]
                ax.plot(*zip(*pts), marker='o', label=k)
            ax.set_xlabel('epoch')
            ax.set_title('validation')
            ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    if osp.dirname(out):
        os.makedirs(osp.dirname(out), exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return panels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('path', help='a work dir or a scalars.json')
    parser.add_argument('--out', default='curves.png')
    args = parser.parse_args(argv)
    train, val, used = read_scalars(find_scalars(args.path))
    title = used[-1] if len(used) == 1 else \
        f'{args.path} ({len(used)} parts)'
    panels = plot(train, val, args.out, title=title)
    print(f'{args.out}: {", ".join(panels)} from {", ".join(used)}')


if __name__ == '__main__':
    main()
