"""Domain generalisation end to end: the digits data converter, the smoke
configs through tools/train.py (model selection by training-domain
validation only, the target tested after training), the guard against
target images in training or selection, and the Table 8 collector."""
import glob
import json
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image

from ..conftest import ROOT, run_python
from .tool_loader import load_tool

collect_dg_results = load_tool('analysis_tools/collect_dg_results.py')
prepare_digits_dg = load_tool('dataset_converters/prepare_digits_dg.py')
opencv_digits, prepare = prepare_digits_dg.opencv_digits, \
    prepare_digits_dg.prepare

TRAIN = osp.join(ROOT, 'tools', 'train.py')
TEST = osp.join(ROOT, 'tools', 'test.py')
CE = 'configs/dg/ce_r18-tiny_digits_opencv.py'


def fake_sheet(path, per_class=2):
    """OpenCV's digits.png layout, small: ten bands of 20x20 cells, band k
    holding digit k (drawn as its brightness)."""
    sheet = np.zeros((10 * 20, per_class * 20), np.uint8)
    for k in range(10):
        sheet[k * 20:(k + 1) * 20] = 20 * k + 5
    Image.fromarray(sheet).save(path)
    return str(path)


@pytest.fixture(scope='module')
def digits(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('digits')
    counts = prepare(str(tmp / 'data'), fake_sheet(tmp / 'digits.png'))
    assert counts == dict(sklearn=1797, opencv=20)
    return str(tmp / 'data')


def test_opencv_sheet_is_cut_into_labelled_cells(tmp_path, digits):
    images, labels = opencv_digits(fake_sheet(tmp_path / 's.png', 3))
    assert images.shape == (30, 20, 20)
    assert labels.tolist() == np.repeat(np.arange(10), 3).tolist()
    assert [int(im.mean()) for im in images[::3]] == list(range(5, 200, 20))
    img = np.array(Image.open(osp.join(digits, 'opencv', '7', '0014.png')))
    assert img.shape == (20, 20) and img.mean() == 145
    sk = np.array(Image.open(osp.join(digits, 'sklearn', '0', '0000.png')))
    from sklearn.datasets import load_digits
    np.testing.assert_array_equal(  # 4-bit 0..16 -> 8-bit 0..255
        sk, np.round(load_digits().images[0] * 255 / 16))
    with pytest.raises(FileNotFoundError, match='apt-get install opencv-doc'):
        opencv_digits(str(tmp_path / 'none.png'))
    Image.new('L', (30, 200)).save(tmp_path / 'odd.png')
    with pytest.raises(ValueError, match='expected a grid'):
        opencv_digits(str(tmp_path / 'odd.png'))


def data_options(data):
    return [
        f'{d}_dataloader.dataset.data_root={data}'
        for d in ('train', 'val', 'test')
    ]


@pytest.mark.parametrize('method', ['ce', 'coretune'])
def test_smoke_selects_on_sources_and_tests_the_target(tmp_path, digits,
                                                       method):
    work = str(tmp_path / 'work')
    cfg = f'configs/dg/{method}_r18-tiny_digits_opencv.py'
    r = run_python(args=[
        TRAIN, cfg, '--work-dir', work, '--cfg-options', *data_options(digits),
        'train_dataloader.batch_size=8', 'train_cfg.max_iters=6',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2'
    ])
    assert r.returncode == 0, r.stdout[-3000:]
    assert re.search(r"Target domain 'opencv' \(trained on sklearn\)",
                     r.stdout)
    with open(osp.join(work, 'target_domain_results.json')) as f:
        res = json.load(f)
    assert res['target_domain'] == 'opencv'
    assert res['method'] == ('CE-tuning' if method == 'ce' else 'Core-tuning')
    # selection saw the source domain's held-out split only
    scalars = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))[0]
    with open(scalars) as f:
        records = [json.loads(line) for line in f]
    val = [r for r in records if 'accuracy/domain_mean/top1' in r]
    assert [r['step'] for r in val] == [2, 4, 6]
    assert all('accuracy/sklearn/top1' in r and not any('opencv' in k
                                                        for k in r)
               for r in val)
    scores = [r['accuracy/domain_mean/top1'] for r in val]
    sel = res['selections']['train_domain_val']
    assert sel['iter'] == val[int(np.argmax(scores))]['step']
    assert sel['val_score'] == max(scores)
    assert res['selections']['last']['iter'] == 6
    for s in res['selections'].values():
        assert 0 <= s['metrics']['accuracy/opencv/top1'] <= 100
    if method == 'ce':
        # what the hook reports is the selected checkpoint's target accuracy
        r = run_python(args=[
            TEST, cfg, sel['checkpoint'], '--work-dir',
            str(tmp_path / 'test'), '--cfg-options', *data_options(digits)
        ])
        assert r.returncode == 0, r.stdout[-3000:]
        top1 = float(re.findall(r'accuracy/top1: ([\d.]+)', r.stdout)[-1])
        assert top1 == pytest.approx(sel['metrics']['accuracy/top1'], abs=0.01)


def tiny_runner(tmp_path, digits, **changes):
    cfg = Config.fromfile(osp.join(ROOT, CE))
    cfg.work_dir = str(tmp_path)
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = digits
    cfg.train_cfg.max_iters = 1
    cfg.merge_from_dict(changes)
    return Runner.from_cfg(cfg)


@pytest.mark.parametrize('changes, error, match', [
    ({
        'val_dataloader.dataset.target_domain': 'sklearn'
    }, ValueError, "val split holds images of the target domain 'opencv'"),
    ({
        'train_dataloader.dataset.split': 'test'
    }, ValueError, "train split holds images of the target domain 'opencv'"),
    ({
        'default_hooks.checkpoint.save_best': None
    }, RuntimeError, r'needs CheckpointHook\(save_best=...\)'),
    ({
        'test_cfg': None,
        'test_dataloader': None,
        'test_evaluator': None
    }, RuntimeError, 'set test_dataloader, test_cfg'),
])
def test_target_in_training_or_selection_stops_the_run(tmp_path, digits,
                                                       changes, error, match):
    runner = tiny_runner(tmp_path, digits, **changes)
    with pytest.raises(error, match=match):
        runner.train()


def write_result(root, method, target, seed, last, val):
    folder = root / f'{method}_{target}_{seed}'
    folder.mkdir(parents=True)
    record = dict(
        dataset='PACS',
        method=method,
        domains=['art_painting', 'cartoon'],
        target_domain=target,
        selections=dict(
            last=dict(metrics={'accuracy/top1': last}),
            train_domain_val=dict(metrics={'accuracy/top1': val})))
    (folder / 'target_domain_results.json').write_text(json.dumps(record))


def test_collector_builds_the_table8_layout(tmp_path, capsys):
    for seed, (a, b) in enumerate([(80, 70), (82, 74)]):
        write_result(tmp_path, 'Core-tuning', 'art_painting', seed, a, a - 1)
        write_result(tmp_path, 'Core-tuning', 'cartoon', seed, b, b - 1)
    write_result(tmp_path, 'CE-tuning', 'art_painting', 0, 78, 77)
    text = collect_dg_results.main(['--root', str(tmp_path)])
    assert capsys.readouterr().out.strip() == text.strip()
    last = text.split('selection: last checkpoint')[1]
    val = text.split('selection: last checkpoint')[0]
    # rows in the paper's order; the average needs every target
    assert '| CE-tuning | 78.00 |  |  |' in last
    assert ('| Core-tuning | 81.00 ± 1.41 (2) | 72.00 ± 2.83 (2) | 76.50 |'
            in last)
    assert last.index('CE-tuning') < last.index('Core-tuning')
    assert '| Core-tuning | 80.00 ± 1.41 (2) | 71.00 ± 2.83 (2) | 75.50 |' \
        in val
    with pytest.raises(FileNotFoundError, match='TargetDomainTestHook'):
        collect_dg_results.main([str(tmp_path / 'nothing')])
    with pytest.raises(KeyError, match="no 'accuracy/top5'"):
        collect_dg_results.main(
            ['--root', str(tmp_path), '--metric', 'accuracy/top5'])
