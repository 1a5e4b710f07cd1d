"""Frozen copies of modules: the pre-trained reference of L2-SP and DELTA,
Bi-tuning's momentum key encoder.

A frozen copy keeps its weights as *buffers*, not parameters: it is not in
``model.parameters()``, so the optimizer, DDP's gradient reduction, weight
decay and parameter counts never see it, while ``state_dict()`` still holds
it, so a checkpoint saves it and a resumed run restores it exactly.
"""
import copy

import torch
import torch.nn as nn


def frozen_copy(module: nn.Module) -> nn.Module:
    """A deep copy of ``module`` whose parameters became buffers of the same
    names, in eval mode. mmengine's ``init_weights`` skips it (it is marked
    initialised): fill it with :func:`copy_weights` after the model's own
    initialisation."""
    frozen = copy.deepcopy(module)
    for sub in frozen.modules():
        for name, param in list(sub._parameters.items()):
            if param is not None:  # (an absent bias stays None)
                del sub._parameters[name]
                sub.register_buffer(name, param.detach().clone())
    frozen.eval()
    if hasattr(frozen, '_is_init'):
        frozen._is_init = True
    return frozen


def _tensors(module: nn.Module) -> dict:
    tensors = dict(module.named_parameters())
    tensors.update(module.named_buffers())
    return tensors


@torch.no_grad()
def copy_weights(src: nn.Module, dst: nn.Module) -> None:
    """Copy every parameter and buffer of ``src`` into the tensor of the same
    name in ``dst`` (its frozen copy). Both must have the same names."""
    src_t, dst_t = _tensors(src), _tensors(dst)
    if src_t.keys() != dst_t.keys():
        missing = sorted(src_t.keys() ^ dst_t.keys())
        raise KeyError(f'the frozen copy does not match its source: '
                       f'{missing[:5]}')
    for name, value in src_t.items():
        dst_t[name].copy_(value)


@torch.no_grad()
def momentum_update(src: nn.Module, dst: nn.Module, momentum: float) -> None:
    """``dst = momentum * dst + (1 - momentum) * src`` for the parameters of
    ``src``. Buffers (BN statistics) are left alone: a momentum encoder
    keeps its own, as in MoCo and tllib's Bi-tuning."""
    dst_t = _tensors(dst)
    for name, param in src.named_parameters():
        dst_t[name].mul_(momentum).add_(param.detach(), alpha=1 - momentum)
