"""gather_with_grad on two gloo processes: the gathered batch, the summed
gradient of each rank's part, and no deprecation warning."""
import warnings

import torch

from ...conftest import run_two_processes


def _worker(rank):
    from mmctune.models.utils import gather_with_grad
    gen = torch.Generator().manual_seed(rank)
    x = torch.randn(3, 2, generator=gen, requires_grad=True)
    # rank r's loss weights the gathered batch with its own weights
    w = torch.arange(12.).view(6, 2) * (rank + 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        gathered = gather_with_grad(x)
        (gathered * w).sum().backward()
    warned = [
        str(c.message) for c in caught
        if issubclass(c.category, (FutureWarning, DeprecationWarning))
    ]
    return x.tolist(), gathered.tolist(), x.grad.tolist(), warned


def test_gather_with_grad_two_processes():
    results = run_two_processes(_worker, timeout=120)
    xs = [torch.tensor(r[1]) for r in results]
    w_sum = torch.arange(12.).view(6, 2) * (1 + 2)  # the two ranks' weights
    for rank, x, gathered, grad, warned in results:
        torch.testing.assert_close(torch.tensor(gathered), torch.cat(xs))
        # d/dx_r of sum_r' (w_r' * cat(x)).sum() = sum of weights at r's rows
        torch.testing.assert_close(
            torch.tensor(grad), w_sum[3 * rank:3 * rank + 3])
        assert warned == []
