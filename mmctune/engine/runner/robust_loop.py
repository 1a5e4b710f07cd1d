import copy
from typing import Dict, List, Sequence, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.runner import TestLoop, ValLoop, autocast
from torch.utils.data import DataLoader

from mmctune.models.utils import labels_of
from mmctune.registry import LOOPS, MODELS
from mmctune.utils import unwrap_model


class _RobustEval:
    """What :class:`RobustValLoop` and :class:`RobustTestLoop` share: one
    pass over the data; each batch is predicted clean and under each attack,
    each into its own copy of the evaluator."""

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 attacks: Sequence[dict],
                 fp16: bool = False):
        super().__init__(runner, dataloader, evaluator, fp16)
        if not attacks:
            raise ValueError(
                f'{type(self).__name__} needs at least one attack, e.g. '
                "attacks=[dict(type='PGDAttack', norm='linf', eps=4 / 255)]")
        self.attacks = {}
        for cfg in attacks:
            attack = MODELS.build(cfg) if isinstance(cfg, dict) else cfg
            if getattr(attack, 'bn_mode', 'eval') != 'eval':
                raise ValueError(
                    f'{type(self).__name__}: robust evaluation attacks the '
                    f"model in eval mode; got bn_mode={attack.bn_mode!r} "
                    f'for {attack!r}')
            if attack.name in self.attacks:
                raise ValueError(f'{type(self).__name__}: two attacks named '
                                 f'{attack.name!r}')
            self.attacks[attack.name] = attack
        # fresh copies, made before any batch is processed
        self.attack_evaluators: Dict[str, Evaluator] = {
            name: copy.deepcopy(self.evaluator)
            for name in self.attacks
        }

    @property
    def _model(self):
        return unwrap_model(self.runner.model)

    def run(self) -> dict:
        prefix = self.hook_prefix
        self.runner.call_hook(f'before_{prefix}')
        self.runner.call_hook(f'before_{prefix}_epoch')
        self.runner.model.eval()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)

        size = len(self.dataloader.dataset)
        clean = self.evaluator.evaluate(size)
        metrics = dict(clean)
        robust = {}
        for name, evaluator in self.attack_evaluators.items():
            robust[name] = evaluator.evaluate(size)
            metrics.update({f'{name}/{k}': v for k, v in robust[name].items()})
        print_log(robust_table(clean, robust, self.attacks), logger='current')
        self.runner.call_hook(f'after_{prefix}_epoch', metrics=metrics)
        self.runner.call_hook(f'after_{prefix}')
        return metrics

    def run_iter(self, idx, data_batch: Sequence[dict]) -> None:
        prefix = self.hook_prefix
        self.runner.call_hook(
            f'before_{prefix}_iter', batch_idx=idx, data_batch=data_batch)
        model = self._model
        data = model.data_preprocessor(data_batch, False)
        inputs, samples = data['inputs'], data['data_samples']
        with torch.no_grad(), autocast(enabled=self.fp16):
            outputs = model(
                inputs, [s.clone() for s in samples], mode='predict')
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        labels = labels_of(samples, inputs.device)
        for name, attack in self.attacks.items():
            with autocast(enabled=self.fp16):
                adv = attack(model, inputs, labels)
                with torch.no_grad():
                    adv_outputs = model(
                        adv, [s.clone() for s in samples], mode='predict')
            self.attack_evaluators[name].process(
                data_samples=adv_outputs, data_batch=data_batch)
        self.runner.call_hook(
            f'after_{prefix}_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)


def _fmt(value) -> str:
    return f'{value:.2f}' if isinstance(value, (int, float)) else str(value)


def robust_table(clean: dict, robust: Dict[str, dict], attacks: dict) -> str:
    """The Core-tuning paper's Table 9 columns, one row per attack:
    ``robust / clean`` for each metric."""
    keys = list(clean)
    head = ' | '.join(f'{k} robust | {k} clean' for k in keys)
    lines = [
        f'| attack | norm | eps | steps | {head} |',
        '|' + '---|' * (4 + 2 * len(keys)),
    ]
    for name, metrics in robust.items():
        a = attacks[name]
        cells = ' | '.join(f'{_fmt(metrics[k])} | {_fmt(clean[k])}'
                           for k in keys)
        lines.append(f'| {name} | {a.norm} | {a.eps:.4g} | {a.steps} | '
                     f'{cells} |')
    return 'robust evaluation (robust / clean):\n' + '\n'.join(lines)


@LOOPS.register_module()
class RobustValLoop(_RobustEval, ValLoop):
    """Validation with clean and robust accuracy: each batch is evaluated
    clean and under each attack (PGD-10 at each budget), the attacks run
    with gradient (w.r.t. the inputs only), the model in eval mode.

    Metrics: the evaluator's own keys for the clean images (so
    ``save_best='accuracy/top1'`` keeps selecting on clean accuracy), and
    ``<attack name>/<key>`` for each attack, e.g.
    ``pgd10-linf-4/255/accuracy/top1``. The log gets a table in the
    paper's Table 9 layout (robust / clean per attack).

    Args:
        runner, dataloader, evaluator, fp16: as mmengine's ``ValLoop``.
        attacks (list[dict]): The attacks, e.g. ``[dict(type='PGDAttack',
            norm='l2', eps=0.5, steps=10), ...]``. ``bn_mode`` must be
            ``'eval'``.
    """
    hook_prefix = 'val'


@LOOPS.register_module()
class RobustTestLoop(_RobustEval, TestLoop):
    """:class:`RobustValLoop` as the test loop (``test_cfg``), e.g. for
    ``tools/test.py CONFIG CHECKPOINT``."""
    hook_prefix = 'test'
