import os
import os.path as osp
import re
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version():
    with open(osp.join(HERE, 'mmctune', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def parse_requirements(fname):
    """Read a requirements file; skip comments, blank lines and ``-r``."""
    reqs = []
    with open(osp.join(HERE, fname)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


def add_mim_extension():
    """Put ``configs/`` (with its metafiles), ``tools/`` and the model index
    ``model-index.yml`` into ``mmctune/.mim``, where ``mim train mmctune
    CONFIG`` / ``mim test`` / ``mim search mmctune`` and
    ``mmctune.apis.list_models`` look for them, as mmpretrain's setup.py
    does: copies for a wheel or an sdist, links for an editable install
    (``editable_wheel``: ``pip install -e .`` since setuptools 64;
    ``develop`` before). mim looks for them beside the package's metadata,
    in site-packages: ``tools/misc/mim_editable.py`` (run by
    tools/setup_env.sh) links the package there for an editable install."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'install')):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'mmctune', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src, dst = osp.join(HERE, name), osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        elif osp.isfile(src):
            shutil.copyfile(src, dst)
        else:
            shutil.copytree(
                src, dst, ignore=shutil.ignore_patterns('__pycache__'))


add_mim_extension()
setup(
    name='mmctune',
    version=get_version(),
    description='Fine-tuning contrastive self-supervised visual models '
    '(Core-tuning and friends) on OpenMMLab',
    long_description=open(osp.join(HERE, 'README.md'),
                          encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(
        exclude=('configs*', 'tools*', 'tests', 'tests.*', 'docs*')),
    include_package_data=True,
    # mim's copies of configs/, tools/ and the model index
    # (add_mim_extension)
    package_data={
        'mmctune': [
            '.mim/configs/**/*.py', '.mim/configs/*/metafile.yml',
            '.mim/model-index.yml', '.mim/tools/**/*.py', '.mim/tools/**/*.sh'
        ]
    },
    python_requires='>=3.8',
    # Ranges only: the CPU pins live in requirements/lock-cpu.txt, so a GPU
    # user's own CUDA torch and full mmcv stay in place. mmcv itself (full or
    # lite) is not required here for the same reason: see
    # requirements/mminstall.txt and docs/get_started.md.
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': parse_requirements('requirements/tests.txt'),
        'mim': parse_requirements('requirements/mminstall.txt'),
    },
    zip_safe=False)
