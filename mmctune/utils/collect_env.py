"""Print the environment (``python -m mmctune.utils.collect_env``), with the
compatibility fixes active in it (:mod:`mmctune.compat`) and how checkpoints
load (:mod:`mmctune.utils.checkpoint`)."""
from mmengine.utils.dl_utils import collect_env as collect_base_env

from mmctune import __version__, compat


def collect_env():
    # the modules the environment fixes act on, and the safe checkpoint
    # loaders that the entry points register
    from mmctune import models  # noqa: F401  (imports torchvision, mmseg)
    from mmctune.utils.checkpoint import register_safe_loaders
    register_safe_loaders()
    env_info = collect_base_env()
    for name in ('mmpretrain', 'mmseg', 'mmcv'):
        try:
            env_info[name] = __import__(name).__version__
        except ImportError:
            env_info[name] = 'not installed'
    env_info['mmctune'] = __version__
    env_info['mmctune compat fixes'] = ', '.join(compat.APPLIED) or 'none'
    env_info['checkpoint loading'] = (
        'weights_only with mmctune.utils.checkpoint.safe_globals()')
    return env_info


if __name__ == '__main__':
    for name, val in collect_env().items():
        print(f'{name}: {val}')
