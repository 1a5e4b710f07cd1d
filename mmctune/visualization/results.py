"""Figures of results: each method's top-1 with the reference's level, the
gains over the reference paired by seed, the cost of a step against the
reference's, HCSC's clustering per epoch, and a t-SNE of two models'
features of the same images.

Every function takes plain numbers (dicts and lists, as the benchmarks'
result files hold them) and returns a :class:`matplotlib.figure.Figure`
made without pyplot: nothing global changes (no backend is chosen, no
rcParams are set), and :func:`save_figure` writes it with matplotlib's Agg
renderer.

Fine-tuning results are ``{method: {panel: {seed: top1}}}``, in the order
the figure shows them. A panel is a labelled subset (``'10% labels'``), one
axes of the figure; the seeds pair a method's runs with the reference's
(CE-tuning's) runs of the same seed.
"""
import os
import os.path as osp
import statistics

from matplotlib.figure import Figure

REFERENCE_COLOR = '0.55'
METHOD_COLOR = 'tab:blue'
HIGHLIGHT_COLOR = 'tab:red'


def mean_std(values):
    """Mean and sample standard deviation (n - 1) of ``values``, 0 for one
    value: what the benchmark tables print as ``mean ± std``."""
    values = list(values)
    mean = statistics.mean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, std


def paired_gains(runs, reference_runs):
    """A method's top-1 minus the reference's of the same seed, for each
    seed both ran (in ``runs``' order).

    Args:
        runs (dict): seed -> top-1 of the method.
        reference_runs (dict): seed -> top-1 of the reference.

    Returns:
        list[float]: the differences.
    """
    return [runs[s] - reference_runs[s] for s in runs if s in reference_runs]


def _panels(results):
    """The panels of ``{method: {panel: runs}}``, in first-seen order."""
    panels = []
    for by_panel in results.values():
        panels += [p for p in by_panel if p not in panels]
    return panels


def _color(name, reference, highlight):
    if name == reference:
        return REFERENCE_COLOR
    if highlight is not None and name == highlight:
        return HIGHLIGHT_COLOR
    return METHOD_COLOR


def _seeds_text(counts):
    counts = sorted(set(counts))
    if counts == [1]:
        return 'one seed'
    if len(counts) == 1:
        return f'mean ± std over {counts[0]} seeds'
    return 'mean ± std over seeds'


def _zoom(ax, low, high, min_pad, floor=None):
    """Limits of the y axis around [low, high] (bars start at 0 below)."""
    pad = max(min_pad, 0.12 * (high - low))
    bottom = low - pad
    if floor is not None:
        bottom = max(floor, bottom)
    ax.set_ylim(bottom, high + 2 * pad)


def _method_axis(ax, names):
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=35, ha='right', fontsize=8)
    ax.set_xlim(-0.6, len(names) - 0.4)


def _method_panel(ax, axes, names, ylabel):
    """A panel of bars per method: its y label, the methods' names under
    the last panel of the column only."""
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(axis='y', labelsize=7)
    _method_axis(ax, names)
    if ax is not axes[-1]:
        ax.tick_params(axis='x', labelbottom=False)


def _new_figure(rows, cols, width, height):
    fig = Figure(figsize=(width, height), layout='constrained')
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, list(axes.flat)


def top1_figure(results,
                reference,
                highlight=None,
                title=None,
                ylabel='test top-1 (%)'):
    """Each method's top-1, one axes per panel (labelled subset): a bar at
    the mean over seeds, an error bar of the std over seeds (where a method
    ran more than one), and the reference's mean as a dashed line.

    Args:
        results (dict): ``{method: {panel: {seed: top1}}}``.
        reference (str): the method whose level is marked (CE-tuning).
        highlight (str, optional): a method drawn in another colour
            (Core-tuning).
        title (str, optional): the figure's title.
        ylabel (str): the y axis' label.

    Returns:
        matplotlib.figure.Figure: axes ``i`` is panel ``i``; its bars are
        ``ax.containers[0]`` (a ``BarContainer`` whose ``errorbar`` is the
        std over seeds), the reference's level is ``ax.lines`` labelled
        with the reference's name.
    """
    names = list(results)
    panels = _panels(results)
    fig, axes = _new_figure(
        len(panels), 1, max(5.5, 0.42 * len(names) + 1.5),
        2.4 * len(panels) + 1.2)
    for ax, panel in zip(axes, panels):
        xs, means, stds, colors, counts = [], [], [], [], []
        for i, name in enumerate(names):
            runs = results[name].get(panel)
            if not runs:
                continue
            mean, std = mean_std(runs.values())
            xs.append(i)
            means.append(mean)
            stds.append(std)
            counts.append(len(runs))
            colors.append(_color(name, reference, highlight))
        several = max(counts) > 1
        bars = ax.bar(
            xs,
            means,
            width=0.7,
            color=colors,
            yerr=stds if several else None,
            capsize=3,
            error_kw=dict(ecolor='0.15', elinewidth=1))
        ax.bar_label(bars, fmt='%.2f', fontsize=6, padding=2)
        ref_runs = results.get(reference, {}).get(panel)
        if ref_runs:
            ref_mean, _ = mean_std(ref_runs.values())
            ax.axhline(
                ref_mean,
                color=REFERENCE_COLOR,
                linestyle='--',
                linewidth=1,
                label=f'{reference}: {ref_mean:.2f}')
            ax.legend(loc='upper left', fontsize=7, frameon=False)
        _zoom(
            ax,
            min(m - s for m, s in zip(means, stds)),
            max(m + s for m, s in zip(means, stds)),
            1.0,
            floor=0)
        ax.set_title(f'{panel} ({_seeds_text(counts)})', fontsize=9)
        _method_panel(ax, axes, names, ylabel)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def gains_figure(results, reference, highlight=None, title=None):
    """Each method's gain over the reference paired by seed, one axes per
    panel: a bar at the mean of (method - reference) over the seeds both
    ran, an error bar of its std over seeds, and the reference's level (0)
    as a line.

    Args:
        results (dict): ``{method: {panel: {seed: top1}}}``, the reference
            among the methods.
        reference (str): the method the gains are over (CE-tuning); not a
            bar.
        highlight (str, optional): a method drawn in another colour.
        title (str, optional): the figure's title.

    Returns:
        matplotlib.figure.Figure: as :func:`top1_figure`'s, without the
        reference's bar.
    """
    names = [n for n in results if n != reference]
    panels = _panels(results)
    fig, axes = _new_figure(
        len(panels), 1, max(5.5, 0.42 * len(names) + 1.5),
        2.4 * len(panels) + 1.2)
    for ax, panel in zip(axes, panels):
        ref_runs = results.get(reference, {}).get(panel) or {}
        xs, means, stds, colors, counts = [], [], [], [], []
        for i, name in enumerate(names):
            gains = paired_gains(results[name].get(panel) or {}, ref_runs)
            if not gains:
                continue
            mean, std = mean_std(gains)
            xs.append(i)
            means.append(mean)
            stds.append(std)
            counts.append(len(gains))
            colors.append(_color(name, reference, highlight))
        ax.axhline(
            0,
            color=REFERENCE_COLOR,
            linestyle='--',
            linewidth=1,
            label=f'{reference} (0)')
        if xs:
            bars = ax.bar(
                xs,
                means,
                width=0.7,
                color=colors,
                yerr=stds if max(counts) > 1 else None,
                capsize=3,
                error_kw=dict(ecolor='0.15', elinewidth=1))
            ax.bar_label(bars, fmt='%+.2f', fontsize=6, padding=2)
            _zoom(ax, min(0, *(m - s for m, s in zip(means, stds))),
                  max(0, *(m + s for m, s in zip(means, stds))), 0.5)
        ax.legend(loc='upper left', fontsize=7, frameon=False)
        ax.set_title(
            f'{panel}: gain over {reference} paired by seed '
            f'({_seeds_text(counts or [0])})',
            fontsize=9)
        _method_panel(ax, axes, names, 'top-1 points')
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def step_cost_figure(rows, reference=None, highlight=None, title=None):
    """The cost of each method's training step against the reference's: a
    bar at the median of the paired step-time ratios and, where the rows
    have it, one at the peak-memory ratio; the reference's level (1) as a
    line.

    Args:
        rows (list[dict]): ``name``, ``paired_ratio`` and optionally
            ``memory_ratio`` (None: not measured, e.g. frozen parameters)
            of each method, the reference first.
        reference (str, optional): the name of the reference (default: the
            first row's).
        highlight (str, optional): a row drawn in another colour.
        title (str, optional): the figure's title.

    Returns:
        matplotlib.figure.Figure: axes 0 the time ratios, axes 1 (if any
        row has one) the memory ratios; each axes' bars are
        ``ax.containers[0]``, at the x of their row.
    """
    names = [r['name'] for r in rows]
    reference = reference or names[0]
    parts = [('paired_ratio', 'time of a step / ' + reference + "'s")]
    if any(r.get('memory_ratio') is not None for r in rows):
        parts.append(('memory_ratio', 'peak memory / ' + reference + "'s"))
    fig, axes = _new_figure(
        len(parts), 1, max(5.5, 0.42 * len(names) + 1.5),
        2.4 * len(parts) + 1.2)
    for ax, (key, label) in zip(axes, parts):
        xs = [i for i, r in enumerate(rows) if r.get(key) is not None]
        values = [rows[i][key] for i in xs]
        bars = ax.bar(
            xs,
            values,
            width=0.7,
            color=[_color(names[i], reference, highlight) for i in xs])
        ax.bar_label(bars, fmt='%.3f', fontsize=6, padding=2)
        for i, r in enumerate(rows):
            if r.get(key) is None:
                ax.text(i, 1, 'n/a', ha='center', va='bottom', fontsize=6)
        ax.axhline(
            1,
            color=REFERENCE_COLOR,
            linestyle='--',
            linewidth=1,
            label=f'{reference}: 1')
        ax.legend(loc='upper left', fontsize=7, frameon=False)
        _zoom(ax, min(values + [1]), max(values + [1]), 0.02, floor=0)
        _method_panel(ax, axes, names, label)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _hcsc_levels(epochs):
    levels = set()
    for record in epochs:
        for key in record:
            if key.startswith('hcsc/tn_precision_l'):
                levels.add(int(key.rsplit('_l', 1)[1]))
    return sorted(levels)


def hcsc_figure(epochs, title=None):
    """HCSC's hook per epoch: the seconds of the clustering beside those of
    the epoch's training; the precision of the negatives its instance
    selection keeps (the share of them with another label than the
    query's), and of those it removes (the share with the query's label),
    one line per level of the hierarchy.

    Args:
        epochs (list[dict]): the hook's scalars of each epoch, in order
            (``hcsc/train_time``, ``hcsc/cluster_time``,
            ``hcsc/tn_precision_l{k}``, ``hcsc/fn_precision_l{k}``); an
            epoch without clustering (the warm-up) lacks the last three.
        title (str, optional): the figure's title.

    Returns:
        matplotlib.figure.Figure: axes 0: ``ax.containers`` the training
        and the clustering seconds (bars at epochs 1, 2, ... shifted by
        -/+0.2, at the epochs that have the value); axes 1 (kept negatives)
        and 2 (removed negatives): one line per level, labelled ``l{k}``,
        x the epochs, y NaN at an epoch without the value.
    """
    nan = float('nan')
    fig, axes = _new_figure(1, 3, 11, 3.3)
    epoch_numbers = list(range(1, len(epochs) + 1))
    ax = axes[0]
    top = 0
    for key, shift, color, label in (('hcsc/train_time', -0.2, '0.6',
                                      'training'),
                                     ('hcsc/cluster_time', 0.2, 'tab:purple',
                                      'clustering')):
        xs = [e + shift for e, r in zip(epoch_numbers, epochs) if key in r]
        values = [r[key] for r in epochs if key in r]
        ax.bar(xs, values, width=0.4, color=color, label=label)
        top = max([top] + values)
    ax.set_ylim(0, 1.35 * top or 1)
    ax.set_ylabel('seconds', fontsize=8)
    ax.set_title('time per epoch', fontsize=9)
    ax.legend(loc='upper left', fontsize=7, frameon=False, ncol=2)
    levels = _hcsc_levels(epochs)
    colors = ['tab:blue', 'tab:orange', 'tab:green', 'tab:red', 'tab:brown']
    for ax, key, what in ((axes[1], 'tn_precision',
                           'kept negatives: share of another label'),
                          (axes[2], 'fn_precision',
                           "removed negatives: share of the query's label")):
        for i, level in enumerate(levels):
            ax.plot(
                epoch_numbers,
                [r.get(f'hcsc/{key}_l{level}', nan) for r in epochs],
                marker='o',
                markersize=3,
                color=colors[i % len(colors)],
                label=f'l{level}')
        ax.set_title(what, fontsize=9)
        ax.set_ylabel('precision', fontsize=8)
        if levels:
            ax.legend(
                title='level (l0: finest)',
                title_fontsize=7,
                fontsize=7,
                frameon=False)
    for ax in axes:
        ax.set_xticks(epoch_numbers)
        ax.set_xlim(0.4, len(epochs) + 0.6)
        ax.set_xlabel('epoch', fontsize=8)
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def tsne_embedding(features, seed=0, perplexity=30.0):
    """2-D t-SNE of ``features`` (scikit-learn; the perplexity lowered for
    fewer than 91 samples), on one OpenMP thread: on a CPU shared with other
    work, scikit-learn's threads waiting for each other took 26 s for 500
    points that one thread embeds in 2 s (2 cores, load 5).

    Args:
        features (array-like): (N, C) features, N >= 5.
        seed (int): t-SNE's random state.
        perplexity (float): t-SNE's perplexity at most.

    Returns:
        numpy.ndarray: (N, 2) points.
    """
    import numpy as np
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits
    features = np.asarray(features, dtype=np.float32)
    perplexity = min(perplexity, (len(features) - 1) / 3)
    with threadpool_limits(limits=1):
        return TSNE(
            n_components=2,
            perplexity=perplexity,
            init='pca',
            random_state=seed).fit_transform(features)


def tsne_figure(points, labels, classes=None, title=None):
    """Side by side, the t-SNE of each model's features of the same images,
    coloured by their label.

    Args:
        points (dict): model name -> (N, 2) points (the same N images in
            the same order for every model).
        labels (list[int]): the N images' labels.
        classes (list[str], optional): the labels' names, for the legend.
        title (str, optional): the figure's title.

    Returns:
        matplotlib.figure.Figure: axes ``i`` is model ``i``, its points one
        collection, ``ax.collections[0]`` (offsets: the points in order).
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.lines import Line2D
    labels = [int(v) for v in labels]
    present = sorted(set(labels))
    cmap = colormaps['tab10' if max(present) < 10 else 'tab20']
    colors = [cmap(v % cmap.N) for v in labels]
    fig, axes = _new_figure(1, len(points), 3.6 * len(points) + 1.3, 3.9)
    for ax, (name, pts) in zip(axes, points.items()):
        pts = np.asarray(pts, dtype=float)
        if pts.shape != (len(labels), 2):
            raise ValueError(f'{name}: {pts.shape} points for '
                             f'{len(labels)} labels')
        ax.scatter(
            pts[:, 0], pts[:, 1], c=colors, s=3, alpha=0.8, linewidths=0)
        ax.set_title(f'{name} ({len(labels)} images)', fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    handles = [
        Line2D([], [],
               linestyle='',
               marker='o',
               markersize=4,
               color=cmap(v % cmap.N)) for v in present
    ]
    names = [
        classes[v] if classes and v < len(classes) else str(v) for v in present
    ]
    fig.legend(
        handles, names, loc='outside right center', fontsize=7, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def save_figure(fig, path, dpi=80):
    """Write ``fig`` to ``path`` (its extension the format: ``.png``,
    ``.svg``, ...; folders made), with the Agg renderer for raster formats.

    Returns:
        str: ``path``.
    """
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path
