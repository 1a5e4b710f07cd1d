"""Edits of a loaded config that the tools share: one setting by its dotted
path, and the number of epochs with the schedules that depend on it."""


def set_by_path(cfg, path: str, value) -> None:
    """``cfg[a][b][0][c] = value`` for ``path='a.b.0.c'`` (list indices are
    numbers).

    Unlike ``Config.merge_from_dict``, which adds a key it does not find, a
    path that names nothing is refused: every step must exist, the last one
    included.

    Raises:
        KeyError: naming the path and the missing key.
    """
    *parents, last = path.split('.')
    node = cfg
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    elif last not in node:
        raise KeyError(f'{path}: the config has no {last!r} there')
    else:
        node[last] = value


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
