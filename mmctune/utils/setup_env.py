import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all modules of mmctune into its registries, as
    ``mmpretrain.utils.register_all_modules`` does for mmpretrain.

    For API users who build models or datasets outside ``tools/train.py``:
    configs resolve ``type='...'`` names in the ``mmctune`` scope (and
    ``mmpretrain.``/``mmseg.``-prefixed names in theirs), which needs the
    default scope set.

    It also makes mmengine's ``CheckpointLoader`` load every checkpoint
    safely (:func:`mmctune.utils.checkpoint.register_safe_loaders`), so that
    an API user's Runner loads and resumes like ``tools/train.py``'s.

    Args:
        init_default_scope (bool): Whether to set the global default scope to
            ``mmctune``. Defaults to True.
    """
    import mmctune.datasets  # noqa: F401,F403
    import mmctune.engine  # noqa: F401,F403
    import mmctune.evaluation  # noqa: F401,F403
    import mmctune.models  # noqa: F401,F403
    from mmctune.utils.checkpoint import register_safe_loaders
    register_safe_loaders()

    if not init_default_scope:
        return

    current_scope = DefaultScope.get_current_instance()
    if current_scope is None:
        DefaultScope.get_instance('mmctune', scope_name='mmctune')
    elif current_scope.scope_name != 'mmctune':
        warnings.warn(f'The current default scope '
                      f'"{current_scope.scope_name}" is not "mmctune", '
                      '`register_all_modules` will force the current '
                      'default scope to be "mmctune". If this is not '
                      'expected, please set `init_default_scope=False`.')
        # avoid name conflict
        new_instance_name = f'mmctune-{datetime.datetime.now()}'
        DefaultScope.get_instance(new_instance_name, scope_name='mmctune')
