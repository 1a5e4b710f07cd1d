"""Normalisation statistics shared by the processes of a distributed run
before every validation and every saved checkpoint."""
import torch
import torch.distributed as torch_dist
from mmengine.dist import get_world_size, is_distributed
from mmengine.hooks import CheckpointHook, Hook
from mmengine.runner import IterBasedTrainLoop
from torch.nn.modules.batchnorm import _BatchNorm

from mmctune.registry import HOOKS


def norm_stats(model) -> list:
    """The running statistics of ``model``'s batch-norm layers (the
    buffers that differ between processes that normalise their own part of
    the batch)."""
    stats = []
    for module in model.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            stats += [module.running_mean, module.running_var]
    return [s for s in stats if s is not None]


@HOOKS.register_module()
class SyncNormStatsHook(Hook):
    """Average the BN running statistics over the processes of a
    distributed run before each validation and each checkpoint, so that the
    model validated is the model saved (and chosen as ``best``).

    With plain BN (a CPU run's ``SyncBN`` is built as BN, and many configs
    use BN) and ``broadcast_buffers=False`` (mmengine's DDP default), each
    process keeps running statistics of its own part of the data: the
    validation then averages the processes' models while only the first
    process's is saved. mmengine's ``SyncBuffersHook`` averages every buffer
    and only at the end of an epoch (or before validating); this hook
    averages the BN statistics only (a momentum encoder's queue, a class
    queue are not statistics to average) before every save and validation,
    in epoch- and iteration-based loops. The running statistics are linear
    in the batch statistics, so averaging them then equals averaging them
    at every step: the result does not depend on how often it is done.
    Nothing happens in a one-process run.
    """

    priority = 'ABOVE_NORMAL'  # before the checkpoint hook (VERY_LOW)

    def _sync(self, runner) -> None:
        if not is_distributed():
            return
        stats = norm_stats(runner.model)
        if not stats:
            return
        flat = torch.cat([s.detach().float().reshape(-1) for s in stats])
        torch_dist.all_reduce(flat)
        flat /= get_world_size()
        offset = 0
        for s in stats:
            n = s.numel()
            s.copy_(flat[offset:offset + n].view_as(s).to(s.dtype))
            offset += n

    def after_train_epoch(self, runner) -> None:
        self._sync(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Iteration-based loops: before the iterations that save a
        checkpoint or validate (epoch-based loops: after_train_epoch)."""
        if not isinstance(runner.train_loop, IterBasedTrainLoop):
            return
        intervals = [runner.train_loop.val_interval] + [
            hook.interval for hook in runner.hooks
            if isinstance(hook, CheckpointHook) and not hook.by_epoch
        ]
        if self.is_last_train_iter(runner) or any(
                i > 0 and self.every_n_train_iters(runner, i)
                for i in intervals):
            self._sync(runner)

    def before_val_epoch(self, runner) -> None:
        self._sync(runner)
