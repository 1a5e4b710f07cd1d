import difflib
import inspect
import warnings

# keys the Runner (and its wrapping/compiling helpers) read from a config
# besides its __init__ arguments
EXTRA_RUNNER_KEYS = ('runner_type', 'model_wrapper_cfg',
                     'find_unused_parameters', 'sync_bn', 'compile',
                     'strategy', 'tta_model', 'tta_pipeline',
                     # mmctune's Runner
                     'log_verbose', 'load_from_strict')


def runner_keys():
    from mmengine.runner import Runner
    params = inspect.signature(Runner.__init__).parameters
    return set(params) - {'self', 'cfg'} | set(EXTRA_RUNNER_KEYS)


def check_cfg_options(cfg, options):
    """Refuse ``--cfg-options`` whose top-level key the config does not have
    and the Runner does not read, e.g. ``train_dataloder.batch_size=4``:
    mmengine would add the key, nothing would read it, and the run would go
    on as if the option had not been given.

    Nested keys may be new (``train_dataloader.dataset.indices=100`` sets a
    dataset argument the config leaves at its default).

    Raises:
        KeyError: naming the key and the closest existing ones.
    """
    known = set(cfg.keys()) | runner_keys()
    for key in options or {}:
        top = key.split('.')[0]
        if top == 'custom_imports':
            raise KeyError(f'--cfg-options {key}: custom_imports is read when '
                           f'the config file is loaded, before options '
                           f'apply; write it in the config file')
        parts = key.split('.')
        hooks = cfg.get('default_hooks') or {}
        if top == 'default_hooks' and len(parts) > 2 \
                and parts[1] not in hooks \
                and f'default_hooks.{parts[1]}.type' not in options:
            close = difflib.get_close_matches(parts[1], sorted(hooks), n=3)
            hint = f'; did you mean {", ".join(close)}?' if close else ''
            raise KeyError(f'--cfg-options {key}: the config has no default '
                           f'hook "{parts[1]}" (a new hook needs its type: '
                           f'default_hooks.{parts[1]}.type=...){hint}')
        if key.endswith('.type'):
            _warn_kept_arguments(cfg, key, options)
        if top not in known:
            close = difflib.get_close_matches(top, sorted(known), n=3)
            hint = f'; did you mean {", ".join(close)}?' if close else ''
            raise KeyError(f'--cfg-options {key}: the config has no key '
                           f'"{top}" and the Runner does not read one{hint}')


def _short(key, value) -> str:
    return f'{key}={value!r}' if isinstance(
        value, (int, float, str, bool, type(None))) else f'{key}=...'


def _warn_kept_arguments(cfg, key: str, options) -> None:
    """``--cfg-options model.head.con_loss.type=TCLLoss`` swaps the class but
    keeps the config's other arguments of that dict (the old loss's
    ``temperature``): say which, unless the options give them too."""
    parts = key.split('.')[:-1]
    node = cfg.get(parts[0])
    for part in parts[1:]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return
    if not isinstance(node, dict) or node.get('type') == options[key]:
        return
    parent = key[:-len('.type')]
    kept = {
        k: v
        for k, v in node.items()
        if k != 'type' and f'{parent}.{k}' not in options
    }
    if kept:
        warnings.warn(
            f'--cfg-options {key}={options[key]}: the config\'s other '
            f'arguments of {parent} are kept for the new type: '
            f'{", ".join(_short(k, v) for k, v in kept.items())}. Give them '
            f'too to change them, or set the whole dict: '
            f'{parent}="dict(type={options[key]}, ...)" (mmengine merges '
            f'an option into the config\'s dict)')


# the default hooks of mmengine's Runner: `name=None` removes one of these
MMENGINE_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                          'param_scheduler', 'checkpoint')


def drop_disabled_hooks(cfg) -> None:
    """Let ``default_hooks.<name>=None`` turn off mmctune's own default hooks
    too (``random_state``, ``check_loss``, ``check_data``): mmengine's Runner
    accepts None only for its own defaults and fails with a bare
    ``AssertionError`` on any other."""
    hooks = cfg.get('default_hooks')
    if not hooks:
        return
    for name in [k for k, v in hooks.items() if v is None]:
        if name not in MMENGINE_DEFAULT_HOOKS:
            hooks.pop(name)


def mirror_val_options_to_test(cfg, options) -> list:
    """``tools/test.py`` runs ``test_dataloader`` and ``test_evaluator``; an
    option given for ``val_dataloader.*`` or ``val_evaluator.*`` (as a user
    who validates with it would write) does not reach them by itself: the
    configs' ``test_dataloader = val_dataloader`` is a copy made when the
    config is parsed.

    - Where the test settings are that copy (equal to the validation ones),
      each such option is given to the test settings too, unless an option
      for the same ``test_*`` key is given as well.
    - Where they differ (a config with its own test split), a ``val_*``
      option is ambiguous for testing and refused, naming the ``test_*`` key
      to use.

    Changes ``options`` in place; returns the keys it added.
    """
    added = []
    for key in list(options or {}):
        top, _, rest = key.partition('.')
        if top not in ('val_dataloader', 'val_evaluator'):
            continue
        test_top = 'test_' + top[len('val_'):]
        test_key = f'{test_top}.{rest}' if rest else test_top
        if test_key in options:
            continue
        if cfg.get(top) != cfg.get(test_top):
            raise ValueError(
                f'--cfg-options {key}: tools/test.py tests with '
                f'{test_top}, which this config sets apart from {top}; give '
                f'{test_key}=... instead')
        options[test_key] = options[key]
        added.append(test_key)
    return added


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with a transposition of neighbours counting as
    one edit (optimal string alignment)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)]
         for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] \
                    and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def check_config_keys(cfg, config_path: str = 'the config') -> None:
    """Refuse a top-level config key that is a typo of a key the Runner
    reads, e.g. ``trian_cfg = dict(max_epochs=1)``: nothing would read it and
    the run would train the base's schedule. A key within two edits (one for
    a key shorter than 8 characters; a swap of neighbours is one edit) of a
    Runner key, and not that key, is a typo;
    other top-level names are config variables (``train_pipeline``,
    ``norm_cfg``, ...), as mmengine allows.

    Raises:
        KeyError: naming the key, the file and the key it resembles.
    """
    known = runner_keys() | {'default_scope', 'custom_imports',
                             'auto_scale_lr', 'launcher'}
    for key in cfg.keys():
        if key in known:
            continue
        limit = 1 if len(key) < 8 else 2
        close = sorted(k for k in known if _edit_distance(key, k) <= limit)
        if close:
            raise KeyError(
                f'{config_path}: the key "{key}" is read by nothing; did you '
                f'mean {" or ".join(close)}?')
