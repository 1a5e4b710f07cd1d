"""Robust evaluation: clean and PGD-10 accuracy in one pass, ε=0 gives the
clean accuracy, robust accuracy never exceeds clean accuracy, the loop runs
from tools/test.py and as the validation loop during training."""
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from ...conftest import ROOT, run_python, write_tiny_config

TRAIN = osp.join(ROOT, 'tools', 'train.py')
TEST = osp.join(ROOT, 'tools', 'test.py')
ATTACKS = """[
    dict(type='PGDAttack', norm='linf', eps=0.0),
    dict(type='PGDAttack', norm='linf', eps=8 / 255),
    dict(type='PGDAttack', norm='l2', eps=2.5),
]"""


@pytest.fixture(scope='module')
def trained(tmp_path_factory, tiny_fmnist):
    """AT-CE's Fashion-MNIST config, 6 epochs on the tiny data (no robust
    validation), and its last checkpoint."""
    tmp = tmp_path_factory.mktemp('robust')
    cfg = write_tiny_config(
        tmp / 'cfg.py',
        tiny_fmnist,
        base='configs/adv/at-ce_r18-tiny_simclr_fmnist.py',
        extra=f"""
test_dataloader = dict(batch_size=16, dataset=dict(
    data_root={tiny_fmnist!r}, indices=None))
test_cfg = dict(type='RobustTestLoop', attacks={ATTACKS})
train_cfg = dict(max_epochs=6, val_interval=6)
param_scheduler = dict(T_max=6)
optim_wrapper = dict(optimizer=dict(lr=0.2))
""")
    work = str(tmp / 'work')
    r = run_python(args=[TRAIN, cfg, '--work-dir', work], timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'accuracy/top1' in r.stdout
    return cfg, osp.join(work, 'epoch_6.pth'), work


def test_clean_eps_zero_and_robust_accuracy(trained):
    cfg_path, ckpt, work = trained
    cfg = Config.fromfile(cfg_path)
    cfg.work_dir = work
    cfg.load_from = ckpt
    metrics = Runner.from_cfg(cfg).test()
    clean = metrics['accuracy/top1']
    assert clean > 20  # it learnt something: 10 classes
    assert metrics['pgd10-linf-0/accuracy/top1'] == clean
    linf = metrics['pgd10-linf-8/255/accuracy/top1']
    l2 = metrics['pgd10-l2-2.5/accuracy/top1']
    assert linf <= clean and l2 <= clean
    assert l2 < clean  # a large budget does flip predictions


def test_from_tools_test_prints_the_table(trained):
    cfg, ckpt, work = trained
    r = run_python(args=[TEST, cfg, ckpt, '--work-dir', work])
    assert r.returncode == 0, r.stdout[-3000:]
    assert 'robust evaluation (robust / clean)' in r.stdout
    rows = re.findall(
        r'\| (pgd10-\S+) \| (l2|linf) \| [\d.e-]+ \| 10 \| ([\d.]+) \| '
        r'([\d.]+) \|', r.stdout)
    assert [row[0] for row in rows
            ] == ['pgd10-linf-0', 'pgd10-linf-8/255', 'pgd10-l2-2.5']
    for _, _, robust, clean in rows:
        assert float(robust) <= float(clean)


def test_as_validation_loop(tiny_fmnist, tmp_path):
    cfg = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        extra=f"""
val_cfg = dict(type='RobustValLoop', attacks={ATTACKS[:-2]}])
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(save_best='accuracy/top1'))
""")
    r = run_python(args=[TRAIN, cfg, '--work-dir', str(tmp_path / 'work')])
    assert r.returncode == 0, r.stdout[-3000:]
    assert re.search(
        r'Epoch\(val\).*accuracy/top1: [\d.]+ .*'
        r'pgd10-linf-8/255/accuracy/top1: [\d.]+', r.stdout)
    # the best checkpoint is chosen on clean accuracy
    assert 'best checkpoint with' in r.stdout


@pytest.mark.parametrize('attacks,match', [
    ('[]', 'needs at least one attack'),
    ("[dict(type='PGDAttack', norm='l2', eps=0.5, bn_mode='train')]",
     'eval mode'),
    ("[dict(type='PGDAttack', norm='l2', eps=0.5)] * 2", 'two attacks'),
])
def test_bad_attack_lists(tiny_fmnist, tmp_path, attacks, match):
    cfg = Config.fromfile(
        write_tiny_config(
            tmp_path / 'cfg.py',
            tiny_fmnist,
            extra=f"test_cfg = dict(type='RobustTestLoop', attacks={attacks})")
    )
    cfg.work_dir = str(tmp_path / 'work')
    with pytest.raises(ValueError, match=match):
        Runner.from_cfg(cfg).test()
