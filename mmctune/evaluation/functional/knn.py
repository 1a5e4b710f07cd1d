from typing import Dict, Sequence

import torch
import torch.nn.functional as F


def weighted_knn_predict(bank: torch.Tensor,
                         bank_labels: torch.Tensor,
                         queries: torch.Tensor,
                         ks: Sequence[int] = (10, 20, 100, 200),
                         temperature: float = 0.07,
                         num_classes: int = None,
                         query_chunk: int = 1024,
                         bank_chunk: int = 16384) -> Dict[int, torch.Tensor]:
    r"""Weighted k-nearest-neighbour classification (NPID / HCSC protocol).

    Features are L2-normalised; each query's ``k`` most cosine-similar bank
    samples vote for their labels with weight :math:`\exp(s / \tau)`; the
    class with the largest total wins.

    Memory-safe: similarities are computed for ``query_chunk`` queries
    against ``bank_chunk`` bank samples at a time, keeping a running top-K,
    so a 50,000 x 2,048 bank needs a few hundred MB, not the full
    queries x bank matrix.

    Returns:
        dict[int, Tensor]: predicted labels of the queries for each ``k``.
    """
    if len(bank) == 0 or len(queries) == 0:
        raise ValueError('kNN needs a non-empty bank and query set')
    ks = sorted(set(int(k) for k in ks))
    max_k = min(ks[-1], len(bank))
    num_classes = num_classes or int(bank_labels.max()) + 1
    bank = F.normalize(bank.float(), dim=1)
    bank_labels = bank_labels.long()
    preds = {k: [] for k in ks}
    for q0 in range(0, len(queries), query_chunk):
        q = F.normalize(queries[q0:q0 + query_chunk].float(), dim=1)
        top_sim = q.new_full((len(q), 0), float('-inf'))
        top_idx = torch.zeros((len(q), 0), dtype=torch.long, device=q.device)
        for b0 in range(0, len(bank), bank_chunk):
            sim = q @ bank[b0:b0 + bank_chunk].t()
            sim, idx = sim.topk(min(max_k, sim.size(1)), dim=1)
            top_sim = torch.cat([top_sim, sim], dim=1)
            top_idx = torch.cat([top_idx, idx + b0], dim=1)
            top_sim, keep = top_sim.topk(min(max_k, top_sim.size(1)), dim=1)
            top_idx = top_idx.gather(1, keep)
        weights = (top_sim / temperature).exp()
        labels = bank_labels[top_idx]
        for k in ks:
            kk = min(k, max_k)
            votes = q.new_zeros(len(q), num_classes)
            votes.scatter_add_(1, labels[:, :kk], weights[:, :kk])
            preds[k].append(votes.argmax(dim=1))
    return {k: torch.cat(p) for k, p in preds.items()}
