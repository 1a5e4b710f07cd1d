import difflib
import inspect

# keys the Runner (and its wrapping/compiling helpers) read from a config
# besides its __init__ arguments
EXTRA_RUNNER_KEYS = ('runner_type', 'model_wrapper_cfg',
                     'find_unused_parameters', 'sync_bn', 'compile',
                     'strategy', 'tta_model', 'tta_pipeline')


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
        if top not in known:
            close = difflib.get_close_matches(top, sorted(known), n=3)
            hint = f'; did you mean {", ".join(close)}?' if close else ''
            raise KeyError(f'--cfg-options {key}: the config has no key '
                           f'"{top}" and the Runner does not read one{hint}')


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
