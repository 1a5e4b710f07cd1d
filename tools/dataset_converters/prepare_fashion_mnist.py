"""Put Fashion-MNIST where mmpretrain's ``FashionMNIST`` reads it.

Sources, in order: ``--src`` if given; the Debian package
``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``, installed
by ``tools/setup_env.sh`` where apt is available); otherwise the download
mmpretrain's dataset class does itself (``download=True``). The four
``*-ubyte.gz`` files are decompressed into ``--out`` (default
``data/fashion_mnist``); files already there are kept. The work is
``mmctune.apis.fashion_mnist.prepare_fashion_mnist``.
"""
import argparse
import sys

from mmctune.apis.fashion_mnist import prepare_fashion_mnist


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
