"""Put Fashion-MNIST where mmpretrain's ``FashionMNIST`` reads it.

Sources, in order: ``--src`` if given; the Debian package
``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``, installed
by ``tools/setup_env.sh`` where apt is available); otherwise the download
mmpretrain's dataset class does itself (``download=True``). The four
``*-ubyte.gz`` files are decompressed into ``--out`` (default
``data/fashion_mnist``); files already there are kept. Prints the folder.
``tools/demo.py`` runs this script as its first step.
"""
import argparse
import gzip
import os
import os.path as osp
import shutil
import sys

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
         't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')


def prepare_fashion_mnist(out: str = 'data/fashion_mnist',
                          src: str = None) -> str:
    """Decompress the four ``*-ubyte.gz`` files of ``src`` (default: the
    Debian package's folder) into ``out``; files already in ``out`` are
    kept. Returns ``out``.

    Raises:
        FileNotFoundError: no source has the files; the message says how to
            get them.
    """
    if all(osp.isfile(osp.join(out, f)) for f in FILES):
        return out
    candidates = [src] if src else [DEBIAN_DIR]
    for folder in candidates:
        if folder and all(
                osp.isfile(osp.join(folder, f + '.gz')) for f in FILES):
            os.makedirs(out, exist_ok=True)
            for f in FILES:
                with gzip.open(osp.join(folder, f + '.gz'), 'rb') as fin, \
                        open(osp.join(out, f), 'wb') as fout:
                    shutil.copyfileobj(fin, fout)
            return out
    raise FileNotFoundError(
        f'Fashion-MNIST not found in {candidates}. Install it with '
        '`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or '
        'download the four *-ubyte.gz files from '
        'https://github.com/zalandoresearch/fashion-mnist and pass their '
        'folder as --src, or set download=True in the dataset config.')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--src', help='folder with the *-ubyte.gz files')
    parser.add_argument('--out', default='data/fashion_mnist')
    args = parser.parse_args(argv)
    try:
        print(prepare_fashion_mnist(args.out, args.src))
    except FileNotFoundError as e:
        sys.exit(str(e))


if __name__ == '__main__':
    main()
