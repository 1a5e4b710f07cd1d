"""Edits of a loaded config that the tools share: one setting by its dotted
path, and the number of epochs with the schedules that depend on it."""


def set_by_path(cfg, path: str, value) -> None:
    """``cfg[a][b][0][c] = value`` for ``path='a.b.0.c'`` (list and tuple
    indices are numbers; a tuple is replaced by a changed copy). A key that
    itself holds dots, as a ``StageSwitchHook`` stage's
    ``'head.con_loss.loss_weight'``, is found too: at each step the longest
    key that matches is taken.

    Unlike ``Config.merge_from_dict``, which adds a key it does not find, a
    path that names nothing is refused: every step must exist, the last one
    included.

    Raises:
        KeyError: naming the path and the missing key.
    """
    _set(cfg, path.split('.'), value, path)


def _set(node, keys, value, path):
    """``node`` with ``keys`` set to ``value`` (a new tuple for a tuple)."""
    if isinstance(node, (list, tuple)):
        i = int(keys[0])
        if not -len(node) <= i < len(node):
            raise KeyError(f'{path}: the config has no item {i} there')
        child = value if len(keys) == 1 else _set(node[i], keys[1:], value,
                                                    path)
        if isinstance(node, tuple):
            return node[:i] + (child, ) + node[i + 1:]
        node[i] = child
        return node
    for n in range(len(keys), 0, -1):
        key = '.'.join(keys[:n])
        if key in node:
            node[key] = value if n == len(keys) else _set(
                node[key], keys[n:], value, path)
            return node
    raise KeyError(f'{path}: the config has no {keys[0]!r} there')


def set_epochs(cfg, epochs) -> None:
    """Train for ``epochs`` epochs and stretch the epoch-based schedules
    (their ``begin``/``end``/``T_max``) by the same factor; the validation
    interval becomes the whole run. ``epochs=None`` changes nothing."""
    if epochs is None:
        return
    scale = epochs / cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    if cfg.train_cfg.get('val_interval') is not None:
        cfg.train_cfg.val_interval = epochs
    schedulers = cfg.param_scheduler if isinstance(
        cfg.param_scheduler, list) else [cfg.param_scheduler]
    for s in schedulers:
        if s.get('by_epoch', True):
            for key in ('begin', 'end', 'T_max'):
                if key in s:
                    s[key] = s[key] * scale
