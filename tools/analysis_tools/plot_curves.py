"""Training curves of a run as a PNG: every loss term and the learning rate
per iteration, and the validation metrics per epoch, from the scalars
mmengine writes (``WORK_DIR/<timestamp>/vis_data/scalars.json``).

    python tools/analysis_tools/plot_curves.py WORK_DIR_OR_SCALARS_JSON \
        --out curves.png
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
    if osp.isfile(path):
        return path
    found = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not found:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {path}')
    return found[-1]  # the latest run


def read_scalars(path):
    train, val = [], []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            (train if 'lr' in rec else val).append(rec)
    if not train and not val:
        raise ValueError(f'{path} holds no scalars')
    return train, val


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
    scalars = find_scalars(args.path)
    train, val = read_scalars(scalars)
    panels = plot(train, val, args.out, title=scalars)
    print(f'{args.out}: {", ".join(panels)} from {scalars}')


if __name__ == '__main__':
    main()
