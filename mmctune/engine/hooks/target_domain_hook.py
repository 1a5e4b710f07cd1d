import json
import os.path as osp
from typing import Optional

import numpy as np
from mmengine.dist import master_only
from mmengine.hooks import CheckpointHook, Hook

from mmctune.datasets.samplers import domain_labels_of
from mmctune.registry import HOOKS
from mmctune.utils import unwrap_model

SELECTIONS = ('train_domain_val', 'last')


def _domains_seen(dataset):
    """Names of the domains a dataset's samples come from."""
    names = dataset.metainfo.get('domains')
    ids = np.unique(domain_labels_of(dataset))
    return {names[i] if names else int(i) for i in ids}


@HOOKS.register_module()
class TargetDomainTestHook(Hook):
    """Leave-one-domain-out evaluation: after training, test the unseen
    target domain (``test_dataloader``) twice, with the checkpoint that
    training-domain validation selected and with the last one, and write
    both to ``<work_dir>/<out_file>`` for
    ``tools/analysis_tools/collect_dg_results.py`` (the paper's Table 8).

    The target is not evaluated during training, so neither selection can
    see it: training-domain validation is ``CheckpointHook``'s ``save_best``
    over ``val_dataloader`` (the held-out part of the source domains), and
    "last" needs no selection at all (oracle-free). Before training the hook
    checks that no training or validation sample comes from the target
    domain, and stops the run if one does.

    Args:
        method (str, optional): The method's name in the results table
            (e.g. ``'Core-tuning'``). Defaults to the config's file name.
        out_file (str): File name of the results, in the work dir.
            Defaults to ``'target_domain_results.json'``.
    """
    priority = 'LOWEST'  # after CheckpointHook has written the last one

    def __init__(self,
                 method: Optional[str] = None,
                 out_file: str = 'target_domain_results.json'):
        self.method = method
        self.out_file = out_file

    def _checkpoint_hook(self, runner) -> CheckpointHook:
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook) and hook.save_best:
                return hook
        raise RuntimeError(
            'TargetDomainTestHook selects a checkpoint by training-domain '
            'validation, which needs CheckpointHook(save_best=...) and a '
            'val_dataloader of the source domains\' held-out split')

    def before_train(self, runner) -> None:
        ckpt_hook = self._checkpoint_hook(runner)
        if runner.val_loop is None:
            raise RuntimeError('TargetDomainTestHook needs a val loop '
                               '(val_dataloader, val_cfg, val_evaluator)')
        # CheckpointHook's names in the message hub: suffixed by the key
        # when it tracks several
        self.selected_by = ckpt_hook.key_indicators[0]
        suffix = '' if len(ckpt_hook.key_indicators) == 1 \
            else f'_{self.selected_by}'
        self._hub_keys = (f'best_ckpt{suffix}', f'best_score{suffix}')
        if runner.test_loop is None:
            raise RuntimeError(
                'TargetDomainTestHook tests the target domain through the '
                'test loop: set test_dataloader, test_cfg and test_evaluator')
        test_set = runner.test_loop.dataloader.dataset
        target = test_set.metainfo.get('target_domain')
        if target is None:
            raise ValueError(
                'the test dataset has no target_domain in its metainfo: '
                'TargetDomainTestHook expects a MultiDomainDataset')
        if _domains_seen(test_set) != {target}:
            raise ValueError(
                f'the test split should hold the target domain {target!r} '
                f'only, it holds {sorted(_domains_seen(test_set))}')
        for name, loop in (('train', runner.train_loop), ('val',
                                                          runner.val_loop)):
            seen = _domains_seen(loop.dataloader.dataset)
            if target in seen:
                raise ValueError(
                    f'the {name} split holds images of the target domain '
                    f'{target!r}: leave-one-domain-out must not train on '
                    'or select with it (set the same target_domain in '
                    'train, val and test dataloaders)')
        self.target = target

    def after_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        last_state = {
            k: v.detach().clone()
            for k, v in model.state_dict().items()
        }
        results = dict(last=dict(iter=runner.iter))
        results['last']['metrics'] = runner.test_loop.run()

        best = runner.message_hub.get_info(self._hub_keys[0])
        if best is None or not osp.isfile(best):
            raise RuntimeError(
                'no checkpoint selected by training-domain validation '
                f'({best}): did the val loop run?')
        checkpoint = runner.load_checkpoint(best, strict=True)
        results['train_domain_val'] = dict(
            iter=checkpoint.get('meta', {}).get('iter'),
            checkpoint=best,
            selected_by=self.selected_by,
            val_score=runner.message_hub.get_info(self._hub_keys[1]))
        results['train_domain_val']['metrics'] = runner.test_loop.run()
        model.load_state_dict(last_state)  # leave the last weights in place
        self._report(runner, results)

    @master_only
    def _report(self, runner, results: dict) -> None:
        test_set = runner.test_loop.dataloader.dataset
        meta = test_set.metainfo
        record = dict(
            config=osp.basename(runner.cfg.filename or ''),
            method=self.method
            or osp.splitext(osp.basename(runner.cfg.filename or 'run'))[0],
            dataset=type(test_set).__name__,
            domains=list(meta.get('domains', ())),
            target_domain=self.target,
            source_domains=list(meta.get('source_domains', ())),
            seed=runner.seed,
            selections={k: results[k]
                        for k in SELECTIONS})
        with open(osp.join(runner.work_dir, self.out_file), 'w') as f:
            json.dump(record, f, indent=2)
        lines = [
            f'Target domain {self.target!r} (trained on '
            f'{", ".join(record["source_domains"])}):',
            f'{"selection":<18}{"iter":>8}  metrics'
        ]
        for name in SELECTIONS:
            r = results[name]
            # mmpretrain's keys; the per-domain ones repeat them here
            scores = ', '.join(f'{k}: {v:.2f}'
                               for k, v in r['metrics'].items()
                               if k.count('/') == 1)
            lines.append(f'{name:<18}{r["iter"]:>8}  {scores}')
        runner.logger.info('\n'.join(lines))
