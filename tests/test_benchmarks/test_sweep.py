""".dev_scripts/benchmarks/sweep.py, the benchmarks' runner: a config over
seeds and overrides, trained and tested once each (in worker processes
too), the results reused while the config
is the same and made again when it changes."""
import json
import os
import os.path as osp
import pickle

import pytest

from .bench_loader import load_bench
from .toy import toy_config

sweep = load_bench('sweep')
SweepJob, collect_results, config_sha1 = (sweep.SweepJob,
                                          sweep.collect_results,
                                          sweep.config_sha1)
load_result, run_jobs, seed_jobs = (sweep.load_result, sweep.run_jobs,
                                    sweep.seed_jobs)


def stamps(results):
    return {
        wd: os.stat(osp.join(wd, 'result.json')).st_mtime_ns
        for wd in results
    }


def test_seeds_run_once_then_reused(tmp_path, capsys):
    jobs = seed_jobs(
        toy_config(max_epochs=2), [0, 1],
        lambda s: str(tmp_path / 'line' / f'seed_{s}'),
        name='line',
        test=True)
    assert [j.name for j in jobs] == ['line seed 0', 'line seed 1']
    assert [j.cfg.randomness.seed for j in jobs] == [0, 1]
    results = run_jobs(jobs, n_procs=1)
    out = capsys.readouterr().out
    assert '[1/2] line seed 0: mse' in out and '[2/2] line seed 1' in out
    for job, r in zip(jobs, results):
        assert r['config_sha1'] == config_sha1(job.config())
        assert r['epochs'] == 2 and r['train_images'] == 8
        assert r['test_images'] == 8
        # a validation after each epoch, then the test's metrics
        assert [v['epoch'] for v in r['val']] == [1, 2]
        assert set(r['metrics']) == {'mse'} and 'top1' not in r
        assert r['metrics']['mse'] == pytest.approx(r['val'][-1]['mse'])
        assert load_result(job.work_dir) == r
    # the seeds differ (initialisation, order of the batches)
    assert results[0]['metrics'] != results[1]['metrics']
    found = collect_results(str(tmp_path))
    assert list(found) == [j.work_dir for j in jobs]

    # a second call: nothing trained, the same results
    before = stamps(found)
    assert run_jobs(jobs, n_procs=1) == results
    assert stamps(found) == before

    # one job's config changes: that one is trained again
    changed = seed_jobs(
        toy_config(max_epochs=2, lr=0.05), [0],
        lambda s: str(tmp_path / 'line' / f'seed_{s}'))
    assert load_result(changed[0].work_dir,
                       config_sha1(changed[0].config())) is None
    again = run_jobs(changed + jobs[1:], n_procs=1)
    assert 'was made with other settings: training again' in \
        capsys.readouterr().out
    after = stamps(found)
    assert after[jobs[0].work_dir] != before[jobs[0].work_dir]
    assert after[jobs[1].work_dir] == before[jobs[1].work_dir]
    assert again[0]['config_sha1'] != results[0]['config_sha1']
    assert again[1] == results[1]


def test_without_test_the_last_validation_counts(tmp_path):
    job = SweepJob(
        'val only', str(tmp_path / 'v'), toy_config(max_epochs=3), test=False)
    (r, ) = run_jobs([job])
    assert r['test_images'] is None and len(r['val']) == 3
    assert r['metrics'] == {'mse': r['val'][-1]['mse']}
    with open(osp.join(job.work_dir, 'result.json')) as f:
        assert json.load(f) == r


def test_worker_processes_give_the_same_results(tmp_path):
    """Two jobs at a time in spawned processes: the same figures as one
    after the other in this process (each run is seeded), in order."""

    def jobs(folder):
        return seed_jobs(
            toy_config(max_epochs=1), [0, 1, 2],
            lambda s: str(tmp_path / folder / f'seed_{s}'))

    here = run_jobs(jobs('here'), n_procs=1)
    there = run_jobs(jobs('there'), n_procs=2)
    assert [r['metrics'] for r in there] == [r['metrics'] for r in here]
    assert len(collect_results(str(tmp_path / 'there'))) == 3


def test_the_hash_is_the_config_not_the_object():
    """A job's config hashes the same after pickling (what a worker
    process receives) and copying; the work dir is part of it."""
    job = SweepJob('a', '/tmp/a', toy_config())
    key = config_sha1(job.config())
    assert config_sha1(pickle.loads(pickle.dumps(job)).config()) == key
    assert config_sha1(SweepJob('a', '/tmp/b', toy_config()).config()) != key
    assert job.cfg.get('work_dir') is None  # the job's own config untouched
