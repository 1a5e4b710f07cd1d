"""Convert a published self-supervised checkpoint into mmpretrain backbone
keys, for ``init_cfg=dict(type='Pretrained', checkpoint=DST)``.

    python tools/model_converters/convert_ssl_checkpoint.py \
        --format pycontrast InfoMin_800.pth checkpoints/r50_infomin.pth

Formats: see ``mmctune.models.utils.converters`` (torchvision, moco,
pycontrast, simclr-v1, simclr-v2, byol, swav, deepcluster-v2, dino-vit,
mae-vit, mocov3-vit, torchvision-mobilenet_v2). The source is loaded
safely (``mmctune.utils.checkpoint``: tensors, plain containers and the few
classes published checkpoints hold, such as PyContrast's, DINO's and MAE's
``argparse.Namespace`` of options); a file that asks for anything else is
refused unless ``--trust-checkpoint`` is given. The output holds tensors
only.
"""
import argparse
import os
import os.path as osp
import sys

import torch

from mmctune.models.utils.converters import FORMATS, convert
from mmctune.utils.checkpoint import (add_trust_argument, load_checkpoint,
                                      register_safe_loaders)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='the published checkpoint file')
    parser.add_argument('dst', help='where to write the converted one')
    parser.add_argument(
        '--format', required=True, choices=sorted(FORMATS), help='its format')
    parser.add_argument(
        '--ema',
        action='store_true',
        help='pycontrast: take the momentum (EMA) encoder')
    add_trust_argument(parser)
    args = parser.parse_args(argv)

    if not osp.isfile(args.src):
        sys.exit(f'no such file: {args.src}')
    register_safe_loaders(trust=args.trust_checkpoint)
    ckpt = load_checkpoint(args.src)
    kwargs = dict(ema=True) if args.ema else {}
    if args.ema and args.format != 'pycontrast':
        sys.exit('--ema applies to --format pycontrast only')
    state_dict = convert(ckpt, args.format, **kwargs)
    if osp.dirname(args.dst):
        os.makedirs(osp.dirname(args.dst), exist_ok=True)
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(source=osp.basename(args.src), format=args.format)),
        args.dst)
    print(f'{args.src} ({args.format}) -> {args.dst}: '
          f'{len(state_dict)} backbone tensors')


if __name__ == '__main__':
    main()
