"""Training curves of a run as a PNG: every loss term and the learning rate
at the logged iterations, and the validation metrics per epoch, from the
scalars mmengine writes (``WORK_DIR/<timestamp>/vis_data/scalars.json``).

    python tools/analysis_tools/plot_curves.py WORK_DIR_OR_SCALARS_JSON \
        --out curves.png

What a point is, read from the run's config (``vis_data/config.py`` beside
the scalars): mmengine logs every ``default_hooks.logger.interval``
iterations, and a loss (any key that ``log_processor.mean_pattern``
matches) is the mean of the last ``log_processor.window_size``
iterations (10 unless the config says otherwise), not that iteration's own
value; the learning rate is the logged iteration's. The panels' titles and
the printed lines say so. For every iteration's own loss, train with
``--cfg-options log_processor.window_size=1 default_hooks.logger.interval=1``.

The scalars are the local backend's (``LocalVisBackend``); a run that
logged to TensorBoard only has none, and is refused with what to do.

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
import re

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt

# mmengine's defaults (LogProcessor, LoggerHook) for a config that sets none
DEFAULT_WINDOW = 10
DEFAULT_INTERVAL = 10
DEFAULT_MEAN_PATTERN = r'.*(loss|time|data_time|grad_norm).*'


def read_logging(scalars_path):
    """How the run of ``scalars_path`` logged its training scalars, from the
    config mmengine saved beside it (``vis_data/config.py``): a dict of
    ``interval``, ``window``, ``mean_pattern``, ``custom`` (the
    ``log_processor.custom_cfg`` entries by logged name) and
    ``val_by_epoch``; None if there is no config there (or it cannot be
    read)."""
    path = osp.join(osp.dirname(scalars_path), 'config.py')
    if not osp.isfile(path):
        return None
    from mmengine.config import Config
    try:
        cfg = Config.fromfile(path, import_custom_modules=False)
    except Exception:  # the labels then say that they cannot tell
        return None
    logger = (cfg.get('default_hooks') or {}).get('logger') or {}
    processor = cfg.get('log_processor') or {}
    custom = {}
    for item in processor.get('custom_cfg') or []:
        custom[item.get('log_name', item['data_src'])] = dict(item)
    return dict(
        interval=logger.get('interval', DEFAULT_INTERVAL),
        window=processor.get('window_size', DEFAULT_WINDOW),
        mean_pattern=processor.get('mean_pattern', DEFAULT_MEAN_PATTERN),
        custom=custom,
        val_by_epoch=logger.get('log_metric_by_epoch', True))


def _every(interval):
    return 'logged every iteration' if interval == 1 else \
        f'logged every {interval} iterations'


def _window(method, window):
    if method == 'current':
        return "the iteration's value"
    if window == 'global':
        return f'{method} of all iterations so far'
    if window == 'epoch':
        return f"{method} of the epoch's iterations so far"
    if window == 1:
        return "the iteration's value" if method == 'mean' else \
            f'{method} of the iteration'
    return f'{method} of the last {window} iterations (fewer at the start)'


def describe(key, logging):
    """What one logged point of the training scalar ``key`` is, in words:
    e.g. 'mean of the last 10 iterations, logged every 50 iterations'."""
    if logging is None:
        return 'as logged (no readable config.py beside the scalars to ' \
            'say what)'
    if key in logging['custom']:
        item = logging['custom'][key]
        what = _window(
            item.get('method_name', 'mean'), item.get('window_size', 'global'))
    elif re.search(logging['mean_pattern'], key):
        what = _window('mean', logging['window'])
    else:
        what = "the iteration's value"
    if what == "the iteration's value" and logging['interval'] == 1:
        return 'per iteration'
    return f'{what}, {_every(logging["interval"])}'


def find_scalars(path):
    """The scalars files of ``path``: itself if a file, else every
    ``<timestamp>/vis_data/scalars.json`` of the work dir, oldest first."""
    if osp.isfile(path):
        return [path]
    found = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not found:
        if glob.glob(osp.join(path, '*', 'vis_data', 'events.out.tfevents.*')):
            raise FileNotFoundError(
                f'{path}: the run logged to TensorBoard only (its '
                'vis_backends have no LocalVisBackend), so there is no '
                'vis_data/scalars.json to plot: view it with `tensorboard '
                f'--logdir {path}`, or train with LocalVisBackend beside '
                'TensorboardVisBackend (docs/get_started.md, TensorBoard)')
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


def _describe_parts(key, loggings):
    """``describe`` over a run's parts: one text if they agree, else each
    part's in order."""
    texts = list(dict.fromkeys(describe(key, lg) for lg in loggings))
    return texts[0] if len(texts) == 1 else \
        '; then '.join(f'part {i + 1}: {t}' for i, t in enumerate(texts))


def plot(train, val, out, title='', loggings=(None, )):
    """Plot the records into ``out``; ``loggings``: :func:`read_logging` of
    each part of the run. Returns the panels drawn, as
    ``[(panel, title, x label), ...]``."""
    losses = sorted({k for r in train for k in r if k.startswith('loss')})
    metrics = sorted({
        k
        for r in val
        for k in r if k not in ('step', 'epoch', 'iter', 'data_time', 'time')
    })
    panels = [
        p for p in (losses and 'loss', train and 'lr', metrics and 'val') if p
    ]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5 * len(panels), 4), dpi=120, squeeze=False)
    drawn = []
    for ax, panel in zip(axes[0], panels):
        if panel == 'loss':
            texts = {k: _describe_parts(k, loggings) for k in losses}
            same = len(set(texts.values())) == 1
            for k in losses:
                pts = [(r['step'], r[k]) for r in train if k in r]
                ax.plot(*zip(*pts), label=k if same else f'{k}: {texts[k]}')
            xlabel = 'iteration'
            ax_title = 'training losses'
            if same:
                ax_title += f'\n{texts[losses[0]]}'
                said = ax_title
            else:  # in the legend
                said = f'{ax_title}\n' + '; '.join(f'{k}: {texts[k]}'
                                                   for k in losses)
            ax.legend(fontsize=8)
        elif panel == 'lr':
            ax.plot([r['step'] for r in train], [r['lr'] for r in train])
            xlabel = 'iteration'
            ax_title = f'learning rate\n{_describe_parts("lr", loggings)}'
            said = ax_title
        else:
            for k in metrics:
                pts = [(r['step'], r[k]) for r in val if k in r]
                ax.plot(*zip(*pts), marker='o', label=k)
            by_epoch = all(lg is None or lg['val_by_epoch'] for lg in loggings)
            xlabel = 'epoch' if by_epoch else 'iteration'
            ax_title = said = 'validation'
            ax.legend(fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_title(ax_title, fontsize=9 if '\n' in ax_title else None)
        drawn.append((panel, said.replace('\n', ': '), xlabel))
    fig.suptitle(title)
    fig.tight_layout()
    if osp.dirname(out):
        os.makedirs(osp.dirname(out), exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return drawn


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('path', help='a work dir or a scalars.json')
    parser.add_argument('--out', default='curves.png')
    args = parser.parse_args(argv)
    train, val, used = read_scalars(find_scalars(args.path))
    title = used[-1] if len(used) == 1 else \
        f'{args.path} ({len(used)} parts)'
    drawn = plot(
        train,
        val,
        args.out,
        title=title,
        loggings=[read_logging(p) for p in used])
    print(f'{args.out}: {", ".join(p for p, _, _ in drawn)} from '
          f'{", ".join(used)}')
    for _, ax_title, xlabel in drawn:
        print(f'  {ax_title} (x: {xlabel})')
    return drawn


if __name__ == '__main__':
    main()
