"""The segmentation smoke data: the real nuclei image and mask shipped in the
PyPI package ``stardist`` (``stardist/data/images/img2d.tif``, a 512x512
fluorescence image, and ``mask2d.tif``, its instance mask), cut into tiles
with binary masks (0 background, 1 nucleus) in mmseg's folder layout::

    OUT/img_dir/{train,val}/r<row>_c<col>.png   (8-bit, 3 channels)
    OUT/ann_dir/{train,val}/r<row>_c<col>.png   (0 / 1)

Tiles of the last quarter of the columns are the validation split, the rest
the training split (spatially disjoint). The files come from ``--src``: a
folder holding ``img2d.tif`` and ``mask2d.tif``, a stardist wheel, or a
folder holding one; without it, from an installed ``stardist`` (found, not
imported: it needs TensorFlow). Without either::

    pip download --no-deps stardist==0.9.2 -d /tmp/stardist
    python tools/dataset_converters/prepare_stardist_nuclei.py \
        --src /tmp/stardist
"""
import argparse
import glob
import importlib.util
import io
import os
import os.path as osp
import zipfile

import numpy as np
from PIL import Image

FILES = ('img2d.tif', 'mask2d.tif')
HINT = ('pip download --no-deps stardist==0.9.2 -d /tmp/stardist, then '
        'pass --src /tmp/stardist')


def _read_tif(data) -> np.ndarray:
    return np.array(Image.open(data))


def load_pair(src=None):
    """(image, instance mask) as arrays, from ``src`` (see the module doc)
    or an installed stardist."""
    if src is None:
        spec = importlib.util.find_spec('stardist')
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(
                f'stardist is not installed and no --src was given: {HINT}')
        src = osp.join(spec.submodule_search_locations[0], 'data', 'images')
    if osp.isdir(src) and not all(osp.isfile(osp.join(src, f)) for f in FILES):
        wheels = sorted(glob.glob(osp.join(src, 'stardist-*.whl')))
        if not wheels:
            raise FileNotFoundError(
                f'{src} holds neither {" and ".join(FILES)} nor a stardist '
                f'wheel: {HINT}')
        src = wheels[-1]
    if osp.isdir(src):
        return tuple(_read_tif(osp.join(src, f)) for f in FILES)
    if not osp.isfile(src):
        raise FileNotFoundError(f'{src} does not exist: {HINT}')
    with zipfile.ZipFile(src) as whl:
        names = {
            osp.basename(n): n
            for n in whl.namelist() if n.startswith('stardist/data/images/')
        }
        missing = [f for f in FILES if f not in names]
        if missing:
            raise FileNotFoundError(f'{src} holds no {missing}')
        return tuple(_read_tif(io.BytesIO(whl.read(names[f]))) for f in FILES)


def prepare(out, src=None, tile=32):
    """Write the tiles under ``out``; return ``(n_train, n_val)``."""
    img, mask = load_pair(src)
    if img.shape != mask.shape or img.ndim != 2:
        raise ValueError(f'expected one 2-D image and a mask of its size, '
                         f'got {img.shape} and {mask.shape}')
    rows, cols = img.shape[0] // tile, img.shape[1] // tile
    if rows < 1 or cols < 2:
        raise ValueError(f'tile {tile} is too large for {img.shape}')
    img8 = np.clip(img.astype(np.float64) / max(img.max(), 1) * 255, 0,
                   255).astype(np.uint8)
    fg = (mask > 0).astype(np.uint8)
    val_from = cols - max(1, cols // 4)
    counts = {'train': 0, 'val': 0}
    for r in range(rows):
        for c in range(cols):
            split = 'val' if c >= val_from else 'train'
            sl = np.s_[r * tile:(r + 1) * tile, c * tile:(c + 1) * tile]
            name = f'r{r}_c{c}.png'
            for kind, arr in (('img_dir',
                               np.repeat(img8[sl][..., None], 3,
                                         axis=2)), ('ann_dir', fg[sl])):
                d = osp.join(out, kind, split)
                os.makedirs(d, exist_ok=True)
                Image.fromarray(arr).save(osp.join(d, name))
            counts[split] += 1
    return counts['train'], counts['val']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--src',
        help='folder or stardist wheel (default: '
        'the installed stardist package)')
    parser.add_argument('--out', default='data/stardist_nuclei')
    parser.add_argument('--tile', type=int, default=32)
    args = parser.parse_args(argv)
    n_train, n_val = prepare(args.out, args.src, args.tile)
    print(f'{n_train} training and {n_val} validation tiles of '
          f'{args.tile}x{args.tile} in {args.out}')


if __name__ == '__main__':
    main()
