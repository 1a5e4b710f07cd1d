"""Print the environment (``python -m mmctune.utils.collect_env``), with the
compatibility fixes active in it (:mod:`mmctune.compat`)."""
from mmengine.utils.dl_utils import collect_env as collect_base_env

import mmctune
from mmctune import compat


def collect_env():
    # the modules the environment fixes act on, and the runtime fixes that
    # the entry points apply
    import mmctune.models  # noqa: F401  (imports torchvision, mmseg)
    compat.apply_runtime_fixes()
    env_info = collect_base_env()
    for name in ('mmpretrain', 'mmseg', 'mmcv'):
        try:
            env_info[name] = __import__(name).__version__
        except ImportError:
            env_info[name] = 'not installed'
    env_info['mmctune'] = mmctune.__version__
    env_info['mmctune compat fixes'] = ', '.join(compat.APPLIED) or 'none'
    return env_info


if __name__ == '__main__':
    for name, val in collect_env().items():
        print(f'{name}: {val}')
