import torch
import torch.distributed as torch_dist
from mmengine.dist import get_world_size, is_distributed


class _AllGatherWithGrad(torch.autograd.Function):
    """``torch.cat`` of every rank's tensor (equal sizes); the gradient of
    each rank's part is the sum over ranks of the gradients of the gathered
    tensor there (a reduce-scatter, as ``torch.distributed.nn.all_gather``),
    with public collectives only."""

    @staticmethod
    def forward(ctx, x):
        parts = [torch.empty_like(x) for _ in range(get_world_size())]
        torch_dist.all_gather(parts, x.contiguous())
        ctx.size = x.size(0)
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous()
        torch_dist.all_reduce(grad)  # every rank's loss uses every part
        start = torch_dist.get_rank() * ctx.size
        return grad[start:start + ctx.size]


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from all ranks along dim 0, keeping the gradient to
    every rank's own part (each rank's part receives the sum, over ranks, of
    the gradients of their losses). Needs the same size on every rank
    (mmengine's ``DefaultSampler`` pads to that). Returns ``x`` itself when
    not distributed."""
    if not is_distributed() or get_world_size() == 1:
        return x
    sizes = [
        torch.zeros(1, dtype=torch.long, device=x.device)
        for _ in range(get_world_size())
    ]
    torch_dist.all_gather(sizes, torch.tensor([x.size(0)], device=x.device))
    if len({int(s) for s in sizes}) > 1:
        raise RuntimeError(
            f'gathering features needs the same batch size on every rank, '
            f'got {[int(s) for s in sizes]} (use DefaultSampler with '
            'round_up=True and drop_last, or turn off gather_distributed)')
    return _AllGatherWithGrad.apply(x)
