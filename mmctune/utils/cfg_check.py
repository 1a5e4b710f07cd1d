import difflib
import functools
import inspect
import warnings

# keys the Runner (and its wrapping/compiling helpers) read from a config
# besides its __init__ arguments
EXTRA_RUNNER_KEYS = (
    'runner_type',
    'model_wrapper_cfg',
    'find_unused_parameters',
    'sync_bn',
    'compile',
    'strategy',
    'tta_model',
    'tta_pipeline',
    # mmctune's Runner
    'log_verbose',
    'load_from_strict')

#: mmcv-1.x / mmcls-0.x config keys that mmengine's Runner does not read,
#: and what replaced them (mmengine's migration guide)
LEGACY_KEYS = {
    'runner':
    'train_cfg = dict(by_epoch=True, max_epochs=N) (or '
    "dict(type='IterBasedTrainLoop', max_iters=N))",
    'total_epochs':
    'train_cfg = dict(max_epochs=N)',
    'workflow':
    'train_cfg = dict(val_interval=N) (validation every N '
    'epochs) and val_cfg = dict()',
    'lr_config':
    "param_scheduler = dict(type='CosineAnnealingLR', ...) "
    '(a list for warm-up then decay)',
    'momentum_config':
    'param_scheduler (momentum schedulers such as '
    "dict(type='CosineAnnealingMomentum', ...))",
    'optimizer':
    'optim_wrapper = dict(optimizer=dict(type=..., lr=...))',
    'optimizer_config':
    'optim_wrapper = dict(clip_grad=dict(max_norm=...), '
    "accumulative_counts=...) (type='AmpOptimWrapper' or --amp for fp16)",
    'fp16':
    "optim_wrapper = dict(type='AmpOptimWrapper') (or --amp)",
    'evaluation':
    'train_cfg = dict(val_interval=N), val_evaluator = '
    "dict(type=...), default_hooks = dict(checkpoint=dict(save_best='auto'))",
    'checkpoint_config':
    'default_hooks = dict(checkpoint=dict(interval=N, '
    'max_keep_ckpts=K))',
    'log_config':
    'default_hooks = dict(logger=dict(interval=N)) and '
    'vis_backends = [...]',
    'data':
    'train_dataloader / val_dataloader / test_dataloader = '
    'dict(batch_size=... (was samples_per_gpu), num_workers=... (was '
    'workers_per_gpu), dataset=dict(...))',
    'resume_from':
    '--resume CHECKPOINT (or resume = True, load_from = '
    'CHECKPOINT)',
    'dist_params':
    'env_cfg = dict(dist_cfg=dict(backend=...))',
    'gpu_ids':
    'tools/dist_train.sh CONFIG N (the number of GPUs)',
}


def _is_legacy(cfg, key: str) -> bool:
    """Whether the top-level ``key`` of ``cfg`` is an mmcv 1.x key. An
    ``optimizer`` that ``optim_wrapper`` uses, or a ``data`` without the old
    loader keys, is a config variable (mmengine configs use such helper
    names), not an old key."""
    if key not in LEGACY_KEYS:
        return False
    value = cfg.get(key)
    if key == 'optimizer':
        return (cfg.get('optim_wrapper') or {}).get('optimizer') != value
    if key == 'data':
        return isinstance(value, dict) and bool(
            {'samples_per_gpu', 'workers_per_gpu', 'train', 'val', 'test'}
            & set(value))
    return True


def _legacy(key: str, where: str) -> KeyError:
    return KeyError(
        f'{where}: "{key}" is an mmcv 1.x / mmcls 0.x config key that '
        f'mmengine does not read, so it would change nothing; write '
        f'{LEGACY_KEYS[key]} instead '
        '(https://mmengine.readthedocs.io/en/latest/migration/runner.html)')


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
        if top in LEGACY_KEYS and top not in cfg:
            raise _legacy(top, f'--cfg-options {key}')
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
    return f'{key}={value!r}' if isinstance(value,
                                            (int, float, str, bool,
                                             type(None))) else f'{key}=...'


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
            f'too to change them, or replace the whole dict: '
            f'{parent}="dict(_delete_=True, type={options[key]}, ...)" '
            f'(without _delete_=True, a dict given as an option is merged '
            f'into the config\'s)')


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


@functools.lru_cache(maxsize=4096)
def _close_keys(key: str, known: frozenset) -> list:
    """The keys of ``known`` within the typo limit of ``key`` (two edits,
    one for a key shorter than 8 characters), sorted; once per key (configs
    share their variable names), and the distance only where the lengths
    allow it."""
    limit = 1 if len(key) < 8 else 2
    return sorted(
        k for k in known
        if abs(len(k) - len(key)) <= limit and _edit_distance(key, k) <= limit)


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
    known = runner_keys() | {
        'default_scope', 'custom_imports', 'auto_scale_lr', 'launcher'
    }
    for key in cfg.keys():
        if _is_legacy(cfg, key):
            raise _legacy(key, config_path)
        if key in known:
            continue
        close = _close_keys(key, frozenset(known))
        if close:
            raise KeyError(
                f'{config_path}: the key "{key}" is read by nothing; did you '
                f'mean {" or ".join(close)}?')


def _hook_class(hook_type):
    from mmengine.registry import DefaultScope

    from mmctune.registry import HOOKS
    if not isinstance(hook_type, str):
        return hook_type
    with DefaultScope.overwrite_default_scope('mmctune'):
        try:
            return HOOKS.get(hook_type)
        except Exception:  # an unknown type: the Runner names it
            return None


def check_optimizer(cfg) -> None:
    """Let the config's optimizer class refuse settings it cannot honour,
    before the Runner is built: a class of ``OPTIMIZERS`` with a
    ``check_config(optim_wrapper_cfg)`` class method (FTP's optimizers:
    ``paramwise_cfg`` that would leave pre-trained parameters unprojected)
    raises with the problem and the fix. Other optimizers are left to
    mmengine."""
    from mmengine.registry import DefaultScope

    from mmctune.registry import OPTIMIZERS
    wrapper = cfg.get('optim_wrapper') or {}
    optimizer = wrapper.get('optimizer') if isinstance(wrapper, dict) else None
    if not isinstance(optimizer, dict) or not isinstance(
            optimizer.get('type'), str):
        return
    with DefaultScope.overwrite_default_scope('mmctune'):
        try:
            cls = OPTIMIZERS.get(optimizer['type'])
        except Exception:  # an unknown type: the Runner names it
            return
    check = getattr(cls, 'check_config', None)
    if check is not None:
        check(wrapper)


def _save_checkpoint_args() -> set:
    from mmengine.runner import Runner
    return set(inspect.signature(
        Runner.save_checkpoint).parameters) - {'self', 'out_dir', 'filename'}


def _init_args(cls):
    """(argument names, takes other keywords) of ``cls(...)``, following
    ``**kwargs`` up the classes it is passed to (a subclass's ``__init__``
    that hands them to its parent's)."""
    named, takes_any = [], True
    for klass in getattr(cls, '__mro__', [cls]):
        if '__init__' not in vars(klass) or klass is object:
            continue
        params = inspect.signature(klass.__init__).parameters
        named += [
            n for n, p in params.items()
            if n != 'self' and n not in named and p.kind not in (
                p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]
        takes_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
        if not takes_any:
            break
    return named, takes_any


def _refuse_unknown_args(where, cls, args, named, takes_any, extra=None):
    """Raise for an argument of ``args`` (a config dict of ``cls``) that is
    not in ``named``: always where ``cls`` takes no other keywords, else if
    it is close to a named one (a typo) or not in ``extra`` (the keywords
    the others are handed to, where known)."""
    for arg in args:
        if arg in ('type', '_scope_') or arg in named:
            continue
        close = difflib.get_close_matches(arg, named, n=3, cutoff=0.75)
        if not takes_any or close or (extra is not None and arg not in extra):
            hint = (f'; did you mean {", ".join(close)}?'
                    if close else f'; it takes {", ".join(named)}')
            raise TypeError(
                f'{where}: {cls.__name__} has no argument "{arg}"{hint}')


def check_hook_args(cfg) -> None:
    """Refuse a misspelt argument of a hook before the Runner is built.

    Most hooks fail at construction on an unknown argument, but some take
    ``**kwargs`` and use them late: mmengine's ``CheckpointHook`` (and
    mmctune's ``AtomicCheckpointHook``) pass them to
    ``Runner.save_checkpoint``, so ``default_hooks.checkpoint.intervall=2``
    trains a whole epoch, then crashes at the first save. An argument a
    hook's signature lacks is refused if it is close to one it has (a
    typo); for the checkpoint hooks, also if ``save_checkpoint`` does not
    take it.

    Raises:
        TypeError: naming the hook, the argument and the closest ones.
    """
    hooks = [(f'default_hooks.{name}', h)
             for name, h in (cfg.get('default_hooks') or {}).items()]
    hooks += [(f'custom_hooks[{i}]', h)
              for i, h in enumerate(cfg.get('custom_hooks') or [])]
    for where, hook in hooks:
        if not isinstance(hook, dict) or 'type' not in hook:
            continue
        cls = _hook_class(hook['type'])
        if cls is None:
            continue
        named, takes_any = _init_args(cls)
        from mmengine.hooks import CheckpointHook
        extra = _save_checkpoint_args() if isinstance(
            cls, type) and issubclass(cls, CheckpointHook) else None
        _refuse_unknown_args(where, cls, hook, named, takes_any, extra)


#: keys under ``model`` that hold no model part (other registries'
#: settings, and the layer settings mmcv's builders read, such as a
#: ``norm_cfg``'s ``requires_grad``), not checked by
#: :func:`check_model_args`: these and every ``*_cfg``
NOT_MODEL_PARTS = ('augments', 'dcn', 'plugins')


def _model_class(model_type):
    from mmengine.registry import DefaultScope

    from mmctune.registry import MODELS
    if not isinstance(model_type, str):
        return model_type if isinstance(model_type, type) else None
    with DefaultScope.overwrite_default_scope('mmctune'):
        try:
            cls = MODELS.get(model_type)
        except Exception:  # an unknown type: the Runner names it
            return None
    return cls if isinstance(cls, type) else None


def _model_parts(node, where):
    """``(where, part)`` for ``node`` and every dict with a ``type`` inside
    it, but under :data:`NOT_MODEL_PARTS` and ``*_cfg`` keys."""
    if isinstance(node, dict):
        if 'type' in node:
            yield where, node
        for key, value in node.items():
            if key not in NOT_MODEL_PARTS and not key.endswith('_cfg'):
                yield from _model_parts(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _model_parts(value, f'{where}[{i}]')


def check_model_args(cfg) -> None:
    """Refuse a misspelt argument of the model or of any part of it
    (backbone, neck, head, loss, pre-processor) before the Runner is built,
    with the arguments it resembles: ``model.queue_sise=16`` otherwise
    stops in the base class it is handed to, as "ImageClassifier got an
    unexpected keyword argument". A class whose ``__init__`` takes no
    ``**kwargs`` refuses every argument it does not name; one that takes
    them refuses only an argument close to a name along its bases (a typo),
    as ``**kwargs`` may go elsewhere than to the base class (mmpretrain's
    ``TimmClassifier`` hands them to ``timm.create_model``).

    Raises:
        TypeError: naming the key, the class, the argument and the closest
            ones.
    """
    for where, part in _model_parts(cfg.get('model'), 'model'):
        cls = _model_class(part['type'])
        if cls is None:
            continue
        named, _ = _init_args(cls)
        own = inspect.signature(cls.__init__).parameters.values()
        takes_any = any(p.kind == p.VAR_KEYWORD for p in own)
        _refuse_unknown_args(where, cls, part, named, takes_any)


def check_topk(cfg) -> None:
    """Refuse a top-k accuracy with k above the model's number of classes
    (the configs' ``topk=(1, 5)`` on a dataset of 3 classes): mmpretrain's
    ``Accuracy`` raises only at the first validation, after an epoch of
    training.

    Raises:
        ValueError: naming the evaluator, k, the classes and the override.
    """
    head = (cfg.get('model') or {}).get('head') or {}
    classes = head.get('num_classes') if isinstance(head, dict) else None
    if not isinstance(classes, int):
        return
    for split in ('val', 'test'):
        evaluators = cfg.get(f'{split}_evaluator')
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        for i, ev in enumerate(evaluators or []):
            if not (isinstance(ev, dict)
                    and str(ev.get('type', '')).split('.')[-1] == 'Accuracy'):
                continue
            topk = ev.get('topk', (1, ))
            topk = (topk, ) if isinstance(topk, int) else tuple(topk)
            if max(topk) > classes:
                keep = tuple(k for k in topk if k <= classes) or (1, )
                key = f'{split}_evaluator' + (f'.{i}' if isinstance(
                    cfg.get(f'{split}_evaluator'), (list, tuple)) else '')
                raise ValueError(
                    f'{key}: Accuracy topk={topk} but the model has '
                    f'{classes} classes (model.head.num_classes): top-'
                    f'{max(topk)} is undefined and mmpretrain would fail '
                    f'at the first validation. Give --cfg-options '
                    f'{key}.topk="{keep}"')
