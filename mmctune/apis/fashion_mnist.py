"""Fashion-MNIST, the toolbox's built-in real data: put the files where
mmpretrain's ``FashionMNIST`` reads them, and read them back as arrays or
as a training batch (for the benchmarks)."""
import gzip
import os
import os.path as osp
import shutil

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
         't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
_HINT = 'run python tools/dataset_converters/prepare_fashion_mnist.py'


def prepare_fashion_mnist(out: str = 'data/fashion_mnist',
                          src: str = None) -> str:
    """Decompress the four ``*-ubyte.gz`` files of ``src`` (default: the
    Debian package ``dataset-fashion-mnist``'s folder) into ``out``; files
    already in ``out`` are kept. Returns ``out``.

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


def _idx_file(root, split, kind):
    prefix = 'train' if split == 'train' else 't10k'
    path = osp.join(
        root, f'{prefix}-{kind}-idx{3 if kind == "images" else 1}'
        '-ubyte')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: {_HINT}')
    return path


def read_labels(root: str, split: str = 'train'):
    """The labels (uint8 array) of the ``'train'`` or ``'test'`` split of
    the decompressed Fashion-MNIST in ``root``."""
    import numpy as np
    with open(_idx_file(root, split, 'labels'), 'rb') as f:
        return np.frombuffer(f.read()[8:], dtype=np.uint8)


def read_images(root: str, split: str = 'train'):
    """The images (uint8 array, N x 28 x 28) of a split, as
    ``read_labels``."""
    import numpy as np
    with open(_idx_file(root, split, 'images'), 'rb') as f:
        return np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(-1, 28, 28)


def class_sizes(root: str, split: str = 'train') -> list:
    """Images per class of a split."""
    import numpy as np
    return np.bincount(read_labels(root, split)).tolist()


def fashion_mnist_batch(root: str, n: int, views: int = 1) -> dict:
    """The first ``n`` training images (uint8, 1 x 28 x 28) and labels as a
    collated batch for ``model.train_step``: ``inputs`` (a list of
    ``views`` copies when ``views`` > 1, as mmpretrain's ``MultiView``
    gives) and ``data_samples`` (mmpretrain ``DataSample``)."""
    import torch
    from mmpretrain.structures import DataSample
    labels = read_labels(root)
    if n > len(labels):
        raise ValueError(f'batch {n} > the {len(labels)} images in {root}')
    img = torch.from_numpy(read_images(root)[:n].copy()).unsqueeze(1)
    return dict(
        inputs=img if views == 1 else [img.clone() for _ in range(views)],
        data_samples=[DataSample().set_gt_label(int(c)) for c in labels[:n]])
