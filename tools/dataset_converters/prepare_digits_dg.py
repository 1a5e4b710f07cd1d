"""The domain-generalisation smoke data: two real domains of the same ten
digit classes, written in the multi-domain folder layout that
``MultiDomainDataset`` reads::

    OUT/sklearn/<digit>/<index>.png   scikit-learn's load_digits: 1,797
                                      8x8 digits (UCI, 4-bit, upscaled to
                                      8-bit grey)
    OUT/opencv/<digit>/<index>.png    OpenCV's digits.png: 5,000 20x20
                                      digits, 500 per class

Both are white on black. scikit-learn's set is installed with mmctune;
OpenCV's sample image comes with Debian's ``opencv-doc``::

    apt-get install opencv-doc
    python tools/dataset_converters/prepare_digits_dg.py

(``--opencv-digits`` points elsewhere, e.g. a copy of ``samples/data/
digits.png`` from OpenCV's source tree.)
"""
import argparse
import os
import os.path as osp

import numpy as np
from PIL import Image

OPENCV_DIGITS = '/usr/share/doc/opencv-doc/examples/data/digits.png'
CELL = 20  # OpenCV's digits are 20x20 cells, 10 classes in bands of rows


def sklearn_digits():
    """(images uint8 N x 8 x 8, labels) of scikit-learn's digits."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = np.round(digits.images * (255 / 16)).astype(np.uint8)
    return images, digits.target.astype(np.int64)


def opencv_digits(path: str = OPENCV_DIGITS):
    """(images uint8 N x 20 x 20, labels) cut from OpenCV's ``digits.png``:
    a grid of 20x20 cells whose rows are ten equal bands, one per digit
    (5,000 digits in 50 rows of 100)."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found: OpenCV\'s digits come with Debian\'s '
            '`apt-get install opencv-doc`, or pass --opencv-digits')
    sheet = np.array(Image.open(path).convert('L'))
    rows, cols = sheet.shape[0] // CELL, sheet.shape[1] // CELL
    if sheet.shape != (rows * CELL, cols * CELL) or rows % 10:
        raise ValueError(
            f'{path} is {sheet.shape[1]}x{sheet.shape[0]}: expected a grid '
            f'of {CELL}x{CELL} digits in ten equal bands of rows')
    cells = sheet.reshape(rows, CELL, cols, CELL).swapaxes(1, 2)
    images = cells.reshape(-1, CELL, CELL)
    labels = np.repeat(np.arange(10), rows // 10 * cols)
    return images, labels


def write_domain(folder: str, images, labels) -> int:
    for i, (img, label) in enumerate(zip(images, labels)):
        class_dir = osp.join(folder, str(int(label)))
        os.makedirs(class_dir, exist_ok=True)
        Image.fromarray(img).save(osp.join(class_dir, f'{i:04d}.png'))
    return len(images)


def prepare(out: str, opencv_png: str = OPENCV_DIGITS) -> dict:
    """Write both domains under ``out``; returns images per domain."""
    cv_images, cv_labels = opencv_digits(opencv_png)  # fail before writing
    return dict(
        sklearn=write_domain(osp.join(out, 'sklearn'), *sklearn_digits()),
        opencv=write_domain(osp.join(out, 'opencv'), cv_images, cv_labels))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data/digits_dg')
    parser.add_argument('--opencv-digits', default=OPENCV_DIGITS)
    args = parser.parse_args()
    counts = prepare(args.out, args.opencv_digits)
    print(f'wrote {counts} to {args.out}')


if __name__ == '__main__':
    main()
