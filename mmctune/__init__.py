"""mmctune: fine-tuning contrastive self-supervised visual models on
mmengine's Runner.

Importing the package applies the compatibility fixes of
:mod:`mmctune.utils.compat` that the installed stack needs (each one only
where its problem exists), so import ``mmctune`` before ``torchvision``,
``mmpretrain.models`` or ``mmseg.models``.
"""
from .utils import compat as _compat
from .version import __version__, version_info

_compat.apply_all()

__all__ = ['__version__', 'version_info']
