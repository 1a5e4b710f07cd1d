import torch
import torch.distributed as torch_dist
from mmengine.dist import get_world_size, is_distributed


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from all ranks along dim 0, keeping the gradient to
    every rank's own part (``torch.distributed.nn.all_gather``). Needs the
    same size on every rank (mmengine's ``DefaultSampler`` pads to that).
    Returns ``x`` itself when not distributed."""
    if not is_distributed() or get_world_size() == 1:
        return x
    from torch.distributed.nn.functional import all_gather
    sizes = [torch.zeros(1, dtype=torch.long, device=x.device)
             for _ in range(get_world_size())]
    torch_dist.all_gather(sizes, torch.tensor([x.size(0)], device=x.device))
    if len({int(s) for s in sizes}) > 1:
        raise RuntimeError(
            f'gathering features needs the same batch size on every rank, '
            f'got {[int(s) for s in sizes]} (use DefaultSampler with '
            'round_up=True and drop_last, or turn off gather_distributed)')
    return torch.cat(all_gather(x), dim=0)
