""".dev_scripts/benchmarks/diagnose_runs.py: its tables are the records'
numbers, it tells runs that saw other batches, and a folder without a
record names the option that writes one."""
import json
import os.path as osp

import pytest

from .bench_loader import load_bench

dr = load_bench('diagnose_runs')


def write_run(folder, grads, losses, crcs, top1):
    """A run folder as finetune_table.py --diagnose leaves it."""
    stamp = folder / '20261207_000000'
    stamp.mkdir(parents=True)
    with open(stamp / 'diagnostics.jsonl', 'w') as f:
        for i, (g, loss, crc) in enumerate(zip(grads, losses, crcs)):
            f.write(
                json.dumps({
                    'iter': i,
                    'epoch': 0,
                    'loss': loss,
                    'loss_ce': loss,
                    'grad_norm/backbone': g,
                    'dist/backbone': 0.01 * (i + 1),
                    'lr/backbone': 0.01,
                    'bn/mean_shift': 0.1,
                    'bn/var_log_ratio': 0.2 * i,
                    'batch_crc': crc
                }) + '\n')
    (folder / 'result.json').write_text(json.dumps(dict(top1=top1)))
    return str(folder)


def test_tables_come_from_the_records(tmp_path, capsys):
    ce = write_run(tmp_path / 'CE-tuning' / '10%_-_seed2_diagnosed',
                   [184.0, 8.0, 9.0, 7.0], [2.0, 1.0, 0.8, 0.6], [1, 2, 3, 4],
                   78.69)
    same = write_run(tmp_path / 'SCL' / '10%_-_seed2_diagnosed',
                     [190.0, 8.0, 9.0, 7.0], [2.2, 1.2, 1.0, 0.8],
                     [1, 2, 3, 4], 76.5)
    other = write_run(tmp_path / 'Core-tuning' / '10%_-_seed2_diagnosed',
                      [9.0, 50.0, 9.0, 7.0], [2.0, 1.0, 0.9, 0.7],
                      [1, 2, 3, 5], 77.0)
    out = str(tmp_path / 'curves.png')
    dr.main([ce, same, other, '--window', '2', '--out', out])
    text = capsys.readouterr().out
    # loss: first two iterations' mean -> last two's; the test top-1
    assert '| CE-tuning/10%_-_seed2_diagnosed | 78.69 | 4 | 1.500 → 0.700 |' \
        in text
    # the largest gradient norm and its iteration; the distance at the end
    # and the median (of 184, 8, 9, 7)
    assert '| CE-tuning/10%_-_seed2_diagnosed | 184.000 (0) | 8.500 | ' \
        '0.0400 |' in text
    core = '| Core-tuning/10%_-_seed2_diagnosed'
    assert core + ' | 50.000 (1) | 9.000 | 0.0400 |' in text
    assert '| SCL/10%_-_seed2_diagnosed | 0.100 | 0.600 |' in text  # BN
    # the runs of seed 2: Core-tuning's last batch differs
    assert ('seed 2: Core-tuning/10%_-_seed2_diagnosed saw other batches '
            'than CE-tuning/10%_-_seed2_diagnosed') in text
    assert osp.getsize(out) > 1000


def test_a_run_without_a_record_names_the_option(tmp_path):
    (tmp_path / 'run').mkdir()
    with pytest.raises(SystemExit, match='--diagnose'):
        dr.main([str(tmp_path / 'run')])
