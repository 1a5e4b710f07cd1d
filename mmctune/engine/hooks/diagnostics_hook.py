"""What a training run did at every iteration, raw, for finding why a run
diverges from its neighbours (a collapsed seed, a method that trains
slower than CE-tuning)."""
import json
import os.path as osp
import zlib
from typing import Dict, Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from torch.nn.modules.batchnorm import _BatchNorm

from mmctune.registry import HOOKS
from mmctune.utils import unwrap_model


def default_groups(model) -> Dict[str, str]:
    """A name per part of ``model`` that has parameters: each top-level
    module (``backbone``, ``neck``, ...), and the head's own modules
    (``head.fc``, ``head.projector``, ...) one by one, since they train at
    different speeds."""
    groups = {}
    for name, child in model.named_children():
        if not any(True for _ in child.parameters()):
            continue
        parts = [(f'{name}.{n}', c) for n, c in child.named_children()
                 if any(True for _ in c.parameters())]
        if name == 'head' and parts:
            groups.update({n: n for n, _ in parts})
            if any(True for _ in child.parameters(recurse=False)):
                groups[name] = name  # the head's own parameters besides
        else:
            groups[name] = name
    return groups


@HOOKS.register_module()
class TrainDiagnosticsHook(Hook):
    r"""Write, for every training iteration, one JSON line of what the run
    did, unaveraged (mmengine's logger averages over its interval):

    - ``iter``, ``epoch``;
    - every loss term and the total, as the model returned them;
    - per part of the model (``groups``): ``lr/<part>`` (the largest
      learning rate of its parameters), ``grad_norm/<part>`` (the L2 norm of
      its gradient when the optimizer steps, after a distributed run's
      all-reduce and, with AMP, after unscaling; ``null`` on an iteration
      that accumulates without stepping) and ``dist/<part>``
      (:math:`\|\theta_t - \theta_0\| / \|\theta_0\|`, how far it has moved
      from where this run started: a resumed run measures from where it
      resumed);
    - the batch-norm running statistics against those at the start, over
      all BN layers: ``bn/mean_shift``, the mean of
      :math:`|\mu_t - \mu_0| / \sqrt{\sigma^2_0 + \epsilon}`, and
      ``bn/var_log_ratio``, the mean of :math:`|\log(\sigma^2_t /
      \sigma^2_0)|`;
    - ``batch_crc``: a CRC-32 of the batch's inputs and labels, so two runs
      can be checked to see the same data in the same order.

    It only reads: the run trains exactly as without it (the tests compare
    the weights). The file is ``<log_dir>/diagnostics.jsonl`` (the run's
    time-stamped folder), written by the main process. ``.dev_scripts/
    benchmarks/diagnose_runs.py`` compares the files of several runs.

    Args:
        groups (dict, optional): ``{name: module path}`` of the parts to
            report, e.g. ``dict(backbone='backbone', fc='head.fc')``.
            Defaults to each top-level module with parameters, with the
            head split into its modules (``default_groups``).
        filename (str): Defaults to ``'diagnostics.jsonl'``.
    """

    priority = 'LOW'  # after the optimizer's update and the loss checks

    def __init__(self,
                 groups: Optional[Dict[str, str]] = None,
                 filename: str = 'diagnostics.jsonl'):
        self.groups = groups
        self.filename = filename
        self._file = None
        self._handles = []

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        groups = self.groups or default_groups(model)
        modules = dict(model.named_modules())
        unknown = sorted(set(groups.values()) - set(modules))
        if unknown:
            raise ValueError(f'TrainDiagnosticsHook: the model has no module '
                             f'{unknown}; its modules with parameters: '
                             f'{sorted(default_groups(model).values())}')
        self._params = {
            name: [p for p in modules[path].parameters() if p.requires_grad]
            for name, path in groups.items()
        }
        self._start = {
            name: [p.detach().clone() for p in params]
            for name, params in self._params.items()
        }
        self._bn = [(m, m.running_mean.detach().clone(),
                     m.running_var.detach().clone(), m.eps)
                    for m in model.modules() if isinstance(m, _BatchNorm)
                    and m.track_running_stats and m.running_var is not None]
        wrapper = runner.optim_wrapper
        # one optimizer, or an OptimWrapperDict's several
        optimizers = ([w.optimizer for w in wrapper.values()] if hasattr(
            wrapper, 'values') else [wrapper.optimizer])
        self._group_of = {
            id(p): group
            for optimizer in optimizers
            for group in optimizer.param_groups
            for p in group['params']
        }
        self._grad_norms = None
        self._handles = [
            optimizer.register_step_pre_hook(self._record_grads)
            for optimizer in optimizers
        ]
        if is_main_process():
            self._file = open(
                osp.join(runner.log_dir, self.filename), 'a', encoding='utf-8')

    @torch.no_grad()
    def _record_grads(self, optimizer, args, kwargs) -> None:
        self._grad_norms = {}
        for name, params in self._params.items():
            grads = [p.grad for p in params if p.grad is not None]
            self._grad_norms[name] = (
                torch.linalg.vector_norm(
                    torch.stack(
                        [torch.linalg.vector_norm(g.float())
                         for g in grads])).item() if grads else 0.0)

    @torch.no_grad()
    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        grad_norms, self._grad_norms = self._grad_norms, None
        if self._file is None:
            return
        record = dict(iter=runner.iter, epoch=runner.epoch)
        for key, value in (outputs or {}).items():
            record[key] = float(value)
        for name, params in self._params.items():
            lrs = [
                self._group_of[id(p)]['lr'] for p in params
                if id(p) in self._group_of
            ]
            record[f'lr/{name}'] = max(lrs) if lrs else None
            record[f'grad_norm/{name}'] = (
                grad_norms.get(name) if grad_norms is not None else None)
            record[f'dist/{name}'] = relative_distance(params,
                                                       self._start[name])
        if self._bn:
            shift, ratio = [], []
            for m, mean0, var0, eps in self._bn:
                shift.append(((m.running_mean - mean0).abs() /
                              (var0 + eps).sqrt()).mean())
                ratio.append(
                    ((m.running_var + eps) / (var0 + eps)).log().abs().mean())
            record['bn/mean_shift'] = torch.stack(shift).mean().item()
            record['bn/var_log_ratio'] = torch.stack(ratio).mean().item()
        record['batch_crc'] = batch_crc(data_batch)
        self._file.write(json.dumps(record) + '\n')

    def after_train_epoch(self, runner) -> None:
        if self._file is not None:
            self._file.flush()

    def after_train(self, runner) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        if self._file is not None:
            self._file.close()
            self._file = None


def relative_distance(params, start) -> float:
    r""":math:`\|\theta - \theta_0\| / \|\theta_0\|` over ``params``
    (the absolute distance when :math:`\theta_0 = 0`)."""
    if not params:
        return 0.0
    diff = torch.stack([
        torch.linalg.vector_norm((p.detach() - p0).float())
        for p, p0 in zip(params, start)
    ])
    norm = torch.stack([torch.linalg.vector_norm(p0.float()) for p0 in start])
    d, n = torch.linalg.vector_norm(diff).item(), torch.linalg.vector_norm(
        norm).item()
    return d / n if n > 0 else d


def batch_crc(data_batch) -> Optional[int]:
    """CRC-32 of a batch's input tensors and labels (None for a batch that
    is not mmengine's dict of ``inputs`` and ``data_samples``)."""
    if not isinstance(data_batch, dict):
        return None
    crc = 0
    inputs = data_batch.get('inputs')
    tensors = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    for t in tensors:
        if isinstance(t, torch.Tensor):
            crc = zlib.crc32(t.detach().cpu().contiguous().numpy().tobytes(),
                             crc)
    for sample in data_batch.get('data_samples') or []:
        label = getattr(sample, 'gt_label', None)
        if isinstance(label, torch.Tensor):
            crc = zlib.crc32(label.cpu().numpy().tobytes(), crc)
    return crc
