from contextlib import contextmanager
from typing import Dict, Sequence

import torch
import torch.nn as nn


@contextmanager
def capture_outputs(module: nn.Module, names: Sequence[str]):
    """Collect the outputs of ``module``'s sub-modules ``names`` into the
    yielded dict while the block runs."""
    found = dict(module.named_modules())
    outputs: Dict[str, torch.Tensor] = {}
    handles = []
    for name in names:

        def hook(mod, args, output, name=name):
            outputs[name] = output

        handles.append(found[name].register_forward_hook(hook))
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()
