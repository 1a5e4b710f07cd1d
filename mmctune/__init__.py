"""mmctune: fine-tuning contrastive self-supervised visual models on
mmengine's Runner.

Importing the package changes nothing in other libraries: the compatibility
fixes of :mod:`mmctune.compat` are applied by the entry points that need
them (``tools/train.py``, ``tools/test.py``,
:func:`mmctune.utils.register_all_modules`) and by the start-up file of the
CPU environment that ``tools/setup_env.sh`` makes.
"""
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
