"""Weighted kNN on a large memory bank: time and peak memory.

The issue's size by default: a 50,000 x 2,048 bank (the CIFAR training set
with ResNet-50 features), random features, 10 classes.

    python .dev_scripts/benchmarks/knn_bank.py [--bank 50000] [--dim 2048] \
        [--queries 2000] [--query-chunk 1024] [--bank-chunk 16384]
"""
import argparse
import resource
import time

import torch

from mmctune.evaluation.functional import weighted_knn_predict


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--bank', type=int, default=50000)
    parser.add_argument('--dim', type=int, default=2048)
    parser.add_argument('--queries', type=int, default=2000)
    parser.add_argument('--query-chunk', type=int, default=1024)
    parser.add_argument('--bank-chunk', type=int, default=16384)
    args = parser.parse_args(argv)
    g = torch.Generator().manual_seed(0)
    bank = torch.randn(args.bank, args.dim, generator=g)
    labels = torch.randint(0, 10, (args.bank, ), generator=g)
    queries = torch.randn(args.queries, args.dim, generator=g)
    data_mb = (bank.numel() + queries.numel()) * 4 / 2**20
    before = peak_rss_mb()
    start = time.perf_counter()
    weighted_knn_predict(bank, labels, queries, (10, 20, 100, 200), 0.07, 10,
                         args.query_chunk, args.bank_chunk)
    seconds = time.perf_counter() - start
    full_mb = args.queries * args.bank * 4 / 2**20
    print(f'bank {args.bank} x {args.dim}, {args.queries} queries: '
          f'{seconds:.1f} s; peak memory {peak_rss_mb():.0f} MB '
          f'({before:.0f} MB before, of which features {data_mb:.0f} MB); '
          f'(an unchunked similarity matrix of these queries alone: '
          f'{full_mb:.0f} MB)')


if __name__ == '__main__':
    main()
