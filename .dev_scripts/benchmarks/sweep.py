"""Run configs over seeds and settings, each run once: the runner behind
``finetune_table.py`` (and ``pretrain_table.py``, through it).

A sweep is a list of :class:`SweepJob` (a name, a work directory and a
config). :func:`run_jobs` trains each one, then tests it (``test=True``),
``n_procs`` at a time in spawned processes, and writes ``result.json`` in
its work directory::

    metrics       the test's metrics, or, without a test, the last
                  validation's
    top1          metrics['accuracy/top1'], when there is one
    val           every validation's metrics, in order (with its epoch)
    seconds, epochs, train_images, test_images
    config_sha1   SHA-1 of the job's config (``config_sha1``)

A job whose work directory already holds a ``result.json`` with the same
``config_sha1`` is not run again: a second call of a sweep costs nothing,
and a run whose config changed (other epochs, another checkpoint, ...) is
trained again, never mixed with the old one.
"""
import copy
import hashlib
import json
import multiprocessing
import os
import os.path as osp
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.hooks import Hook

RESULT_FILE = 'result.json'


@dataclass
class SweepJob:
    """One run of a sweep.

    Args:
        name (str): What the progress lines call it.
        work_dir (str): Its work directory (``cfg.work_dir`` is set to it).
        cfg (mmengine.Config): The config to train.
        test (bool): Test after training (``cfg.test_dataloader`` etc.), and
            report the test's metrics; else the last validation's.
    """
    name: str
    work_dir: str
    cfg: object
    test: bool = True

    def config(self):
        """The config this job runs: ``cfg`` with ``work_dir``."""
        cfg = copy.deepcopy(self.cfg)
        cfg.work_dir = self.work_dir
        return cfg


def config_sha1(cfg) -> str:
    """SHA-1 of a config's text (``cfg.pretty_text``): equal for equal
    settings, whatever file and overrides they came from."""
    return hashlib.sha1(cfg.pretty_text.encode()).hexdigest()


def load_result(work_dir: str, sha1: Optional[str] = None) -> Optional[dict]:
    """The ``result.json`` of ``work_dir``, or None if it has none, or (with
    ``sha1``) if it was made by another config."""
    path = osp.join(work_dir, RESULT_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        result = json.load(f)
    if sha1 is not None and result.get('config_sha1') != sha1:
        return None
    return result


def collect_results(root: str) -> Dict[str, dict]:
    """Every ``result.json`` under ``root``: work dir -> result, sorted by
    work dir."""
    found = {}
    for folder, _, files in os.walk(root):
        if RESULT_FILE in files:
            found[folder] = load_result(folder)
    return dict(sorted(found.items()))


def seed_jobs(cfg,
              seeds: Sequence[int],
              work_dir: Callable[[int], str],
              name: str = '',
              test: bool = False) -> List[SweepJob]:
    """One job per seed: ``cfg`` with ``randomness.seed`` set (the rest of
    ``randomness`` kept), in ``work_dir(seed)``."""
    jobs = []
    for seed in seeds:
        job_cfg = copy.deepcopy(cfg)
        randomness = dict(job_cfg.get('randomness') or {})
        randomness['seed'] = seed
        job_cfg.randomness = randomness
        jobs.append(
            SweepJob(f'{name} seed {seed}'.strip(), work_dir(seed), job_cfg,
                     test))
    return jobs


def _plain(value):
    """A metric as JSON can hold it."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value if isinstance(value,
                                   (str, int, type(None))) else str(value)


class _RecordValidation(Hook):
    """Keeps every validation's metrics (``after_val_epoch``)."""
    priority = 'LOWEST'

    def __init__(self):
        self.history = []

    def after_val_epoch(self, runner, metrics=None):
        self.history.append(
            dict(
                epoch=runner.epoch,
                **{
                    k: _plain(v)
                    for k, v in (metrics or {}).items()
                }))


def run_job(job: SweepJob) -> dict:
    """Train (and test) one job in this process and write its
    ``result.json``; the finished one when it is there and was made by the
    same config."""
    from mmengine.registry import RUNNERS
    from mmengine.utils import import_modules_from_strings

    from mmctune.engine.runner import Runner
    from mmctune.utils.cfg_check import drop_disabled_hooks

    cfg = job.config()
    key = config_sha1(cfg)
    result = load_result(job.work_dir, key)
    if result is not None:
        return result
    if load_result(job.work_dir) is not None:
        print(
            f'  {osp.join(job.work_dir, RESULT_FILE)} was made with other '
            'settings: training again',
            flush=True)

    start = time.time()
    # a runner's entry point, in this process or a worker: as tools/train.py
    from mmctune.utils.checkpoint import register_safe_loaders
    register_safe_loaders()
    if cfg.get('custom_imports'):
        # Config.fromfile imported them in the process that loaded the
        # config, not in this one when it is a worker
        import_modules_from_strings(**cfg.custom_imports)
    # mmengine names the logger, visualizer and message hub of a run after
    # the config and the second it starts: two runs of one config in the
    # same second would share them (and write to the first one's folder)
    cfg.experiment_name = f'sweep_{key[:8]}_{time.time_ns()}'
    drop_disabled_hooks(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else \
        RUNNERS.build(cfg)
    recorder = _RecordValidation()
    runner.register_hook(recorder)
    runner.train()
    if job.test:
        metrics = {k: _plain(v) for k, v in runner.test().items()}
        n_test = len(runner.test_dataloader.dataset)
    else:
        metrics = {
            k: v
            for k, v in (
                recorder.history[-1] if recorder.history else {}).items()
            if k != 'epoch'
        }
        n_test = None
    result = dict(
        metrics=metrics,
        val=recorder.history,
        seconds=round(time.time() - start, 1),
        epochs=cfg.train_cfg.get('max_epochs'),
        train_images=len(runner.train_dataloader.dataset),
        test_images=n_test,
        config_sha1=key)
    if 'accuracy/top1' in metrics:
        result['top1'] = metrics['accuracy/top1']
    os.makedirs(job.work_dir, exist_ok=True)
    out = osp.join(job.work_dir, RESULT_FILE)
    with open(out + '.tmp', 'w') as f:
        json.dump(result, f)
    os.replace(out + '.tmp', out)
    return result


def _init_worker(threads):
    import torch
    torch.set_num_threads(threads)


def _progress(job, result):
    if 'top1' in result:
        what = f'top-1 {result["top1"]:.2f}'
    else:
        what = ', '.join(f'{k} {v:.4g}' if isinstance(v, float) else f'{k} {v}'
                         for k, v in result.get('metrics', {}).items())
    return f'{job.name}: {what} ({result["seconds"]:.0f} s)'


def run_jobs(jobs: Sequence[SweepJob], n_procs: int = 1) -> List[dict]:
    """Run ``jobs`` (``run_job``) and return their results in order,
    printing a line per finished job.

    ``n_procs`` > 1: that many at a time, in spawned worker processes with
    ``cpu_count / n_procs`` torch threads each; 1: one after the other in
    this process.
    """
    jobs = list(jobs)
    if not jobs:
        return []
    results = []

    def report(i, result):
        print(
            f'  [{i + 1}/{len(jobs)}] {_progress(jobs[i], result)}',
            flush=True)
        results.append(result)

    if n_procs == 1:
        for i, job in enumerate(jobs):
            report(i, run_job(job))
        return results
    threads = max(1, (os.cpu_count() or 1) // n_procs)
    ctx = multiprocessing.get_context('spawn')
    with ctx.Pool(n_procs, _init_worker, (threads, )) as pool:
        for i, result in enumerate(pool.imap(run_job, jobs)):
            report(i, result)
    return results
