"""Print the environment (``python -m mmctune.utils.collect_env``), with the
compatibility fixes that mmctune applied to it."""
from mmengine.utils.dl_utils import collect_env as collect_base_env

import mmctune
from mmctune.utils import compat


def collect_env():
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
