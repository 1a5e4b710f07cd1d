"""Table 9 (the Core-tuning paper's §5.4): an AT-CE, AT-CE-Con and AT-Core
config trained at each of the six PGD-10 budgets on CIFAR10, and
tools/analysis_tools/collect_adv_table.py, which reads their work dirs into
the table's layout (robust / clean per budget) and names the missing
runs."""
import glob
import json
import os
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from ..conftest import ROOT, write_tiny_config
from .tool_loader import load_tool

collect_adv_table = load_tool('analysis_tools/collect_adv_table.py')
BUDGET = re.compile(r'_(l2|linf)-([\d.]+)\.py$')
METHODS = ('at-ce', 'at-ce-con', 'at-core')
KEYS = ('l2-0.5', 'l2-1.5', 'l2-2.5', 'linf-2', 'linf-4', 'linf-8')
# Table 9's methods (configs/adv/ also composes AT with other methods)
AT_CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs/adv/at-*_r50_*.py'))
    if osp.basename(p).split('_')[0] in METHODS)


def test_cifar10_has_every_method_at_every_budget():
    names = {osp.basename(p) for p in AT_CONFIGS if '_cifar10_' in p}
    assert names == {
        f'{m}_r50_moco_cifar10_{k}.py'
        for m in METHODS
        for k in KEYS
    }
    assert osp.isfile(osp.join(ROOT, 'configs/adv/ce_r50_moco_cifar10.py'))


@pytest.mark.parametrize('path', AT_CONFIGS, ids=osp.basename)
def test_each_at_config_trains_at_the_budget_its_name_says(path):
    norm, value = BUDGET.search(path).groups()
    eps = float(value) / 255 if norm == 'linf' else float(value)
    cfg = Config.fromfile(path)
    attack = cfg.model.attack
    assert cfg.model.type == 'AdversarialClassifier'
    assert (attack.type, attack.norm, attack.steps) == ('PGDAttack', norm, 10)
    assert attack.eps == pytest.approx(eps, rel=1e-12)
    # tested under all six budgets, whichever it was trained at
    assert cfg.test_cfg.type == 'RobustTestLoop'
    assert [(a.norm, round(a.eps * (255 if a.norm == 'linf' else 1), 6))
            for a in cfg.test_cfg.attacks] == [('l2', 0.5), ('l2', 1.5),
                                               ('l2', 2.5), ('linf', 2),
                                               ('linf', 4), ('linf', 8)]
    # the same method as the other budgets' configs: only the attack differs
    method = osp.basename(path).split('_')[0]
    sibling = osp.join(ROOT, 'configs/adv',
                       BUDGET.sub('_l2-0.5.py', osp.basename(path)))
    if method in METHODS and sibling != path:
        other = Config.fromfile(sibling)
        other.model.pop('attack'), cfg.model.pop('attack')
        assert cfg.model == other.model
        assert cfg.train_dataloader == other.train_dataloader
        assert cfg.optim_wrapper == other.optim_wrapper


def test_ce_row_config_tests_plain_ce_tuning():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/adv/ce_r50_moco_cifar10.py'))
    ce = Config.fromfile(
        osp.join(ROOT, 'configs/baselines/ce_r50_moco_cifar10.py'))
    assert cfg.model == ce.model  # no AdversarialClassifier
    assert cfg.test_cfg.type == 'RobustTestLoop'
    assert len(cfg.test_cfg.attacks) == 6


def test_column_names_are_the_attacks_metric_prefixes():
    names = [
        collect_adv_table.attack_name(norm, eps)
        for _, norm, eps, _ in collect_adv_table.BUDGETS
    ]
    assert names == [
        'pgd10-l2-0.5', 'pgd10-l2-1.5', 'pgd10-l2-2.5', 'pgd10-linf-2/255',
        'pgd10-linf-4/255', 'pgd10-linf-8/255'
    ]
    assert [k for k, *_ in collect_adv_table.BUDGETS] == list(KEYS)


def write_test(work_dir, ts, metrics):
    """What mmengine's LoggerHook writes after a test: one JSON dict in
    ``<work_dir>/<ts>/<ts>.json``."""
    os.makedirs(osp.join(work_dir, ts), exist_ok=True)
    with open(osp.join(work_dir, ts, f'{ts}.json'), 'w') as f:
        json.dump(dict(metrics, data_time=0.1, time=0.2), f)


def robust(clean, **by_budget):
    """Metrics of a RobustTestLoop run: clean, and one robust value per
    budget key given (l2_0_5=..., linf_4=...)."""
    names = {
        k: collect_adv_table.attack_name(n, e)
        for k, n, e, _ in collect_adv_table.BUDGETS
    }
    out = {'accuracy/top1': clean}
    for key, value in by_budget.items():
        budget = key.replace('_', '-', 1).replace('_', '.')
        out[f'{names[budget]}/accuracy/top1'] = value
    return out


def test_collector_prints_table9_from_work_dirs(tmp_path, capsys):
    adv = tmp_path / 'adv'
    # CE: one model, tested under every budget
    write_test(
        adv / 'ce_r50_moco_cifar10', '20260101_000000',
        robust(
            94.7,
            l2_0_5=50.25,
            l2_1_5=10.0,
            l2_2_5=1.5,
            linf_2=40.0,
            linf_4=12.28,
            linf_8=0.5))
    # AT-CE at l2 0.5: an older test, then the newest (which counts)
    write_test(adv / 'at-ce_r50_moco_cifar10_l2-0.5', '20260101_000000',
               robust(90.0, l2_0_5=80.0))
    write_test(adv / 'at-ce_r50_moco_cifar10_l2-0.5', '20260102_120000',
               robust(92.0, l2_0_5=86.59, linf_4=70.0))
    # AT-Core at linf 4 and 8: each reads its own budget only
    write_test(adv / 'at-core_r50_moco_cifar10_linf-4', '20260103_000000',
               robust(95.95, linf_4=82.01, linf_8=60.0))
    write_test(adv / 'at-core_r50_moco_cifar10_linf-8', '20260103_000000',
               robust(93.0, linf_4=85.0, linf_8=70.5))
    # AT-CE-Con at l2 1.5: trained (a training log, a checkpoint), not
    # tested; at l2 2.5: tested without that budget
    train_log = adv / 'at-ce-con_r50_moco_cifar10_l2-1.5' / \
        '20260104_000000' / 'vis_data'
    train_log.mkdir(parents=True)
    (train_log / '20260104_000000.json'
     ).write_text('{"lr": 0.01, "step": 1}\n{"lr": 0.009, "step": 2}\n')
    (train_log.parent / '20260104_000000.json').write_text(
        '{"loss": 1.0}\n{"loss": 0.9}\n')  # lines, not a test's dict
    write_test(adv / 'at-ce-con_r50_moco_cifar10_l2-2.5', '20260105_000000',
               robust(93.0, l2_0_5=88.0))

    text = collect_adv_table.main(['--root', str(tmp_path)])
    assert capsys.readouterr().out.strip() == text.strip()
    lines = text.splitlines()
    assert lines[0].startswith('Table 9 (cifar10, PGD-10): robust / clean '
                               'accuracy/top1 (%)')
    assert lines[2] == ('| method | ℓ2 ε=0.5 | ℓ2 ε=1.5 | ℓ2 ε=2.5 | '
                        'ℓ∞ ε=2/255 | ℓ∞ ε=4/255 | ℓ∞ ε=8/255 |')
    rows = [ln for ln in lines if ln.startswith('| ') and '---' not in ln]
    assert rows[1:] == [
        '| CE | 50.25 / 94.70 | 10.00 / 94.70 | 1.50 / 94.70 | '
        '40.00 / 94.70 | 12.28 / 94.70 | 0.50 / 94.70 |',
        '| AT-CE | 86.59 / 92.00 |  |  |  |  |  |',
        '| AT-CE-Con |  |  |  |  |  |  |',
        '| AT-Core |  |  |  |  | 82.01 / 95.95 | 70.50 / 93.00 |',
    ]
    missing = text.split('missing runs (')[1]
    assert missing.startswith('15 of 24 cells):')
    listed = [ln for ln in missing.splitlines() if ln.startswith('- ')]
    assert len(listed) == 15
    assert (f'- AT-CE-Con, ℓ2 ε=1.5: {adv}/at-ce-con_r50_moco_cifar10_l2-1.5:'
            ' trained, not tested; '
            'configs/adv/at-ce-con_r50_moco_cifar10_l2-1.5.py') in listed
    assert (f"- AT-CE-Con, ℓ2 ε=2.5: {adv}/at-ce-con_r50_moco_cifar10_l2-2.5:"
            " its tests have no 'pgd10-l2-2.5/accuracy/top1'; "
            'configs/adv/at-ce-con_r50_moco_cifar10_l2-2.5.py') in listed
    assert (
        f'- AT-Core, ℓ2 ε=0.5: {adv}/at-core_r50_moco_cifar10_l2-0.5: '
        'not run; configs/adv/at-core_r50_moco_cifar10_l2-0.5.py') in listed
    assert not any('no such config' in ln for ln in listed)

    # no CE run: one line for the whole row, not six
    out = tmp_path / 'table9.md'
    (tmp_path / 'none_yet').mkdir()
    text = collect_adv_table.main(
        ['--root', str(tmp_path / 'none_yet'), '--out',
         str(out)])
    assert out.read_text().strip() == text.strip()
    assert 'missing runs (24 of 24 cells):' in text
    ce = [ln for ln in text.splitlines() if ln.startswith('- CE,')]
    assert ce == [
        f'- CE, every budget: {tmp_path}/none_yet/adv/'
        'ce_r50_moco_cifar10: not run; '
        'configs/adv/ce_r50_moco_cifar10.py'
    ]
    # a dataset with two budgets' configs only: the others have none
    text = collect_adv_table.main(
        ['--root', str(tmp_path), '--dataset', 'dtd'])
    # (the CE row has its config: the supplement's Table 5,
    # configs/adv/ce_r50_moco_dtd.py)
    assert text.count('(no such config)') == 3 * 4
    assert 'configs/adv/ce_r50_moco_dtd.py' in text


def test_collector_reads_what_a_test_run_writes(tmp_path, tiny_fmnist):
    """A real RobustTestLoop run (the Fashion-MNIST AT-CE config, untrained,
    on the tiny data) in the work dir of AT-CE at l2 1.5: the collector's
    cell is that run's robust and clean top-1."""
    cfg_path = write_tiny_config(
        tmp_path / 'cfg.py',
        tiny_fmnist,
        base='configs/adv/at-ce_r18-tiny_simclr_fmnist.py',
        extra=f"""
test_dataloader = dict(batch_size=16, dataset=dict(
    data_root={tiny_fmnist!r}, indices=16))
""")
    cfg = Config.fromfile(cfg_path)
    cfg.work_dir = str(tmp_path / 'work_dirs' / 'adv' /
                       'at-ce_r50_moco_cifar10_l2-1.5')
    metrics = Runner.from_cfg(cfg).test()
    text = collect_adv_table.main(['--root', str(tmp_path / 'work_dirs')])
    row = [ln for ln in text.splitlines() if ln.startswith('| AT-CE |')][0]
    expected = (f"{metrics['pgd10-l2-1.5/accuracy/top1']:.2f} / "
                f"{metrics['accuracy/top1']:.2f}")
    assert row == f'| AT-CE |  | {expected} |  |  |  |  |'


def test_a_missing_root_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='work_dirs'):
        collect_adv_table.main(['--root', str(tmp_path / 'nowhere')])
