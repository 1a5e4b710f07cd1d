"""Checks that stop a run with a clear message instead of letting it train
on nothing, on labels the classifier cannot have, or into NaN weights. Both
hooks are on by default in mmctune's configs (``default_hooks``)."""
import math
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from mmctune.registry import HOOKS
from mmctune.utils import unwrap_model


def _value(v) -> Optional[float]:
    if isinstance(v, torch.Tensor):
        return v.detach().float().mean().item() if v.numel() else None
    if isinstance(v, (int, float)):
        return float(v)
    return None


@HOOKS.register_module()
class FiniteLossCheckHook(Hook):
    """Stop training when the loss or any of its terms is NaN or infinite,
    naming the iteration and the terms.

    It runs first after every training step (before logging and before the
    checkpoint hook), so the checkpoints on disk are all from before the bad
    step and the run can be resumed from the last of them with a changed
    setting (a lower learning rate, a higher temperature...).
    """
    priority = 'VERY_HIGH'

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        values = {k: _value(v) for k, v in (outputs or {}).items()}
        values = {k: v for k, v in values.items() if v is not None}
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if not bad:
            return
        terms = ', '.join(f'{k}={v}' for k, v in bad.items())
        rest = ', '.join(f'{k}={v:.4g}' for k, v in values.items()
                         if k not in bad)
        where = f'iteration {runner.iter + 1}'
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            where += f' (epoch {runner.epoch + 1}, batch {batch_idx + 1})'
        raise FloatingPointError(
            f'non-finite loss at {where}: {terms}' +
            (f' (finite: {rest})' if rest else '') +
            '. Training stopped; the checkpoints on disk are from before '
            'this step.')


def _model_num_classes(model) -> dict:
    """``{'model.head.num_classes': K, ...}`` of the classifier / segmentor
    parts that fix a number of classes."""
    found = {}
    for path in ('head', 'decode_head', 'data_preprocessor'):
        part = getattr(model, path, None)
        k = getattr(part, 'num_classes', None)
        if isinstance(k, int):
            found[f'model.{path}.num_classes'] = k
    return found


def _labels(dataset) -> Optional[np.ndarray]:
    """Every sample's class label, or None for datasets without image
    labels (segmentation)."""
    if hasattr(dataset, 'get_gt_labels'):
        try:
            return np.asarray(dataset.get_gt_labels()).reshape(-1)
        except (KeyError, TypeError):
            return None
    labels = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if 'gt_label' not in info:
            return None
        labels.append(np.asarray(info['gt_label']).reshape(-1))
    return np.concatenate(labels) if labels else np.zeros(0, int)


def _name(dataset) -> str:
    name = type(dataset).__name__
    root = getattr(dataset, 'data_root', None)
    return f'{name} (data_root={root!r})' if root else name


@HOOKS.register_module()
class DatasetCheckHook(Hook):
    """Before training, check the datasets against the model:

    - the training set is not empty (an empty folder, a filter or a label
      fraction that keeps nothing would otherwise give a run of zero
      iterations that "succeeds");
    - the number of classes of the dataset (``metainfo['classes']``) equals
      the ``num_classes`` of the head / decode head / data preprocessor;
    - every image label of the training and validation sets is in
      ``[0, num_classes)``.

    Raises:
        ValueError: naming the dataset, the setting and the value.
    """
    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        expected = _model_num_classes(model)
        loaders = [('train_dataloader', runner.train_dataloader)]
        if runner.val_loop is not None:
            loaders.append(('val_dataloader', runner.val_loop.dataloader))
        for key, loader in loaders:
            self.check(key, loader.dataset, expected)

    @staticmethod
    def check(key: str, dataset, expected: dict) -> None:
        name = _name(dataset)
        if len(dataset) == 0:
            raise ValueError(f'{key}: the dataset {name} is empty')
        classes = (dataset.metainfo or {}).get('classes')
        if classes is not None:
            for setting, k in expected.items():
                if k != len(classes):
                    raise ValueError(
                        f'{setting}={k} but {key}\'s dataset {name} has '
                        f'{len(classes)} classes; set {setting}='
                        f'{len(classes)}')
        head = [k for s, k in expected.items() if 'preprocessor' not in s]
        if not head:
            return
        labels = _labels(dataset)
        if labels is None or labels.size == 0:
            return
        bad = np.flatnonzero((labels < 0) | (labels >= head[0]))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f'{key}: sample {i} of {name} has the label '
                f'{int(labels[i])}, outside [0, {head[0]}) of the model\'s '
                f'{head[0]} classes ({bad.size} such labels)')
